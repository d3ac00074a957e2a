"""Writes of the fulfilment center."""

import logging

from django.db import transaction

from apps.common.fsm import take_transition
from apps.distribution.selectors import distribution_order_get
from apps.distribution.services import distribution_order_cancel, distribution_order_create
from apps.fulfillment.models import FulfillmentLeg, FulfillmentOrder, FulfillmentState
from apps.orders.exceptions import OrderStateConflict
from apps.orders.selectors import order_get_for_fulfillment
from apps.orders.services import order_advance, order_flag_exception, order_record_booking, order_start_fulfillment

logger = logging.getLogger(__name__)

ACTOR = "system:fulfillment"
# What a distribution leg's state means for the order.
_ORDER_PROGRESS = {
    "picked_up": "handed_over",
    "in_transit": "in_transit",
    "customs_hold": "customs_hold",
    "out_for_delivery": "out_for_delivery",
    "delivery_failed": "delivery_failed",
    "delivered": "delivered",
    "returned": "returned",
}


def fulfillment_start(*, order_id: int, actor: str) -> FulfillmentOrder:
    """Plan a released order: a distribution leg with the carrier service it is routed to. A
    re-routed order comes back here and gets its next leg in the same plan.

    Idempotent: an order already in fulfilment with a leg keeps its plan (lane work that runs
    twice, after a lost worker or a doubled message, plans once)."""
    with transaction.atomic():
        order = order_get_for_fulfillment(order_id=order_id)
        fulfillment = FulfillmentOrder.objects.select_for_update().filter(order_id=order.id).first()
        if fulfillment is not None and order.state == "in_fulfillment" and fulfillment.legs.exists():
            return fulfillment
        if fulfillment is None:
            fulfillment = FulfillmentOrder.objects.create(order_id=order.id, merchant_id=order.merchant_id)
            fulfillment.history.create(
                merchant_id=order.merchant_id,
                transition="create",
                from_state="",
                to_state=fulfillment.state,
                actor=actor,
            )
        elif fulfillment.state == FulfillmentState.FAILED:
            take_transition(fulfillment, "replan", actor=actor, reason=f"re-routed to {order.carrier_code}")
        distribution_order = distribution_order_create(
            order_id=order.id,
            merchant_id=order.merchant_id,
            carrier_code=order.carrier_code,
            service_code=order.service_code,
            actor=ACTOR,
        )
        FulfillmentLeg.objects.create(
            fulfillment_order=fulfillment,
            merchant_id=order.merchant_id,
            sequence=fulfillment.legs.count() + 1,
            kind=FulfillmentLeg.Kind.DISTRIBUTION,
            leg_id=distribution_order.pk,
            state=distribution_order.state,
        )
        order_start_fulfillment(order_id=order.id, actor=actor)
    return fulfillment


def _order_follows(leg: FulfillmentLeg, leg_state: str, *, carrier_code: str, reason: str) -> None:
    fulfillment = leg.fulfillment_order
    if fulfillment.legs.filter(sequence__gt=leg.sequence).exists():
        return  # news of a leg the order has moved on from (it was re-routed)
    order_id = fulfillment.order_id
    try:
        if leg_state in _ORDER_PROGRESS:
            order_advance(
                order_id=order_id,
                target=_ORDER_PROGRESS[leg_state],
                actor=ACTOR,
                reason=reason or f"carrier {carrier_code} reports {leg_state.replace('_', ' ')}",
            )
        elif leg_state == "exception":
            order_flag_exception(order_id=order_id, actor=ACTOR, reason=f"{carrier_code}: {reason or leg_state}")
    except OrderStateConflict as exc:
        # The order was cancelled or flagged meanwhile: the leg keeps the news, the order its state.
        logger.warning("order %s cannot follow its leg (%s): %s", order_id, leg_state, exc)
    # A failed booking is the shipping center's to decide on (re-route or flag); the plan waits.
    if fulfillment.state == FulfillmentState.IN_PROGRESS:
        if leg_state in ("delivered", "returned"):
            take_transition(fulfillment, "complete", actor=ACTOR, reason=leg_state)
        elif leg_state == "booking_failed":
            take_transition(fulfillment, "fail", actor=ACTOR, reason=reason)


def fulfillment_distribution_leg_changed(
    *, distribution_order_id: int, state: str, version: int, reason: str = ""
) -> FulfillmentLeg:
    """Take in a distribution leg's news and move the order accordingly.

    News is handled in parallel and can arrive out of order: each piece carries the leg's
    version, and news older than what the leg already reported is dropped, so the order never
    follows a stale state. Within that, every state the leg passed is passed on to the order.
    """
    with transaction.atomic():
        leg = (
            FulfillmentLeg.objects.select_for_update()
            .select_related("fulfillment_order")
            .get(kind=FulfillmentLeg.Kind.DISTRIBUTION, leg_id=distribution_order_id)
        )
        if version <= leg.reported_version:
            return leg
        leg.state, leg.reported_version = state, version
        leg.save(update_fields=["state", "reported_version", "updated_at"])
        fulfillment = leg.fulfillment_order
        distribution_order = distribution_order_get(distribution_order_id=distribution_order_id)
        if distribution_order.tracking_number:
            order_record_booking(
                order_id=fulfillment.order_id,
                carrier_code=distribution_order.carrier_code,
                tracking_number=distribution_order.tracking_number,
                actor=ACTOR,
            )
        _order_follows(leg, state, carrier_code=distribution_order.carrier_code, reason=reason)
    return leg


def fulfillment_cancel(*, order_id: int, actor: str, reason: str) -> FulfillmentOrder | None:
    """The order was called back: cancel its plan and every leg."""
    with transaction.atomic():
        fulfillment = FulfillmentOrder.objects.select_for_update().filter(order_id=order_id).first()
        if fulfillment is None:
            return None
        for leg in fulfillment.legs.filter(kind=FulfillmentLeg.Kind.DISTRIBUTION):
            distribution_order_cancel(distribution_order_id=leg.leg_id, actor=actor, reason=reason)
        if fulfillment.state in (FulfillmentState.IN_PROGRESS, FulfillmentState.FAILED):
            take_transition(fulfillment, "cancel", actor=actor, reason=reason)
    return fulfillment
