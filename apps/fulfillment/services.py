"""Writes of the fulfilment center."""

import logging

from django.db import transaction

from apps.common.fsm import take_transition
from apps.distribution.selectors import distribution_order_get
from apps.distribution.services import distribution_order_create
from apps.fulfillment.models import FulfillmentLeg, FulfillmentOrder, FulfillmentState
from apps.orders.exceptions import OrderStateConflict
from apps.orders.selectors import order_get_for_fulfillment
from apps.orders.services import order_advance, order_flag_exception, order_record_booking, order_start_fulfillment

logger = logging.getLogger(__name__)

ACTOR = "system:fulfillment"
# What a distribution leg's state (as its events name it) means for the order.
_ORDER_PROGRESS = {
    "picked_up": "in_transit",
    "in_transit": "in_transit",
    "out_for_delivery": "in_transit",
    "delivered": "delivered",
}


def fulfillment_start(*, order_id: int, actor: str) -> FulfillmentOrder:
    """Plan a released order: one distribution leg with the carrier service it was routed to."""
    with transaction.atomic():
        order = order_get_for_fulfillment(order_id=order_id)
        fulfillment = FulfillmentOrder.objects.create(order_id=order.id, merchant_id=order.merchant_id)
        fulfillment.history.create(
            merchant_id=order.merchant_id, transition="create", from_state="", to_state=fulfillment.state, actor=actor
        )
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
            sequence=1,
            kind=FulfillmentLeg.Kind.DISTRIBUTION,
            leg_id=distribution_order.pk,
            state=distribution_order.state,
        )
        order_start_fulfillment(order_id=order.id, actor=actor)
    return fulfillment


def fulfillment_distribution_leg_changed(
    *, distribution_order_id: int, state: str, carrier_code: str, tracking_number: str, reason: str
) -> FulfillmentLeg:
    """Take in a distribution leg's news and move the order accordingly.

    News arrives out of order; the leg keeps its center's current state, and the order only ever
    moves forward. Progress for an order that was cancelled or flagged meanwhile is kept on the
    leg and logged, not forced onto the order.
    """
    with transaction.atomic():
        leg = (
            FulfillmentLeg.objects.select_for_update()
            .select_related("fulfillment_order")
            .get(kind=FulfillmentLeg.Kind.DISTRIBUTION, leg_id=distribution_order_id)
        )
        leg.state = distribution_order_get(distribution_order_id=distribution_order_id).state
        leg.save(update_fields=["state", "updated_at"])
        fulfillment = leg.fulfillment_order
        order_id = fulfillment.order_id
        if state == "booked":
            order_record_booking(order_id=order_id, carrier_code=carrier_code, tracking_number=tracking_number,
                                 actor=ACTOR)
        elif state in _ORDER_PROGRESS:
            try:
                order_advance(order_id=order_id, target=_ORDER_PROGRESS[state], actor=ACTOR,
                              reason=f"carrier {carrier_code} reports {state.replace('_', ' ')}")
            except OrderStateConflict as exc:
                logger.warning("leg %s is %s but order %s cannot follow: %s", leg.pk, state, order_id, exc)
            if state == "delivered" and fulfillment.state == FulfillmentState.IN_PROGRESS:
                take_transition(fulfillment, "complete", actor=ACTOR, reason="delivered")
        elif state in ("booking_failed", "exception"):
            try:
                order_flag_exception(order_id=order_id, actor=ACTOR, reason=f"{carrier_code}: {reason or state}")
            except OrderStateConflict as exc:
                logger.warning("leg %s is %s but order %s cannot follow: %s", leg.pk, state, order_id, exc)
            if state == "booking_failed" and fulfillment.state == FulfillmentState.IN_PROGRESS:
                take_transition(fulfillment, "fail", actor=ACTOR, reason=reason)
    return leg
