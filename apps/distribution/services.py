"""Writes of the distribution center.

Booking is split around the carrier call so that no transaction stays open while a carrier
thinks: lock and mark `booking`; call the carrier with the order's idempotency key; lock and
mark `booked`. A worker lost between the two re-runs the same steps and the carrier, given the
same key, answers with the same shipment.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.common.fsm import take_transition
from apps.distribution import events
from apps.distribution.exceptions import CarrierPermanentError
from apps.distribution.gateways import BookingRequest, CarrierGateway, TrackingUpdate, gateway_for
from apps.distribution.models import TRACKABLE, DistributionOrder, DistributionState, TrackingEvent
from apps.orders.selectors import order_get_for_fulfillment
from apps.resources.selectors import carrier_get

logger = logging.getLogger(__name__)

S = DistributionState
ACTOR = "system:distribution"
# The forward path a booked parcel walks, and the transition that steps into each state.
PROGRESS_PATH = [S.BOOKED, S.PICKED_UP, S.IN_TRANSIT, S.OUT_FOR_DELIVERY, S.DELIVERED]
_STEP_INTO = {S.PICKED_UP: "pick_up", S.IN_TRANSIT: "depart", S.OUT_FOR_DELIVERY: "dispatch_for_delivery",
              S.DELIVERED: "deliver"}
_STATE_OF_MILESTONE = {
    TrackingEvent.Milestone.INFO_RECEIVED: S.BOOKED,
    TrackingEvent.Milestone.PICKED_UP: S.PICKED_UP,
    TrackingEvent.Milestone.IN_TRANSIT: S.IN_TRANSIT,
    TrackingEvent.Milestone.OUT_FOR_DELIVERY: S.OUT_FOR_DELIVERY,
    TrackingEvent.Milestone.DELIVERED: S.DELIVERED,
}


def _transition(distribution_order: DistributionOrder, name: str, *, actor: str = ACTOR, reason: str = "") -> None:
    take_transition(distribution_order, name, actor=actor, reason=reason)
    events.distribution_event(distribution_order, actor=actor, reason=reason)


def _gateway(carrier_code: str) -> CarrierGateway:
    carrier = carrier_get(code=carrier_code)
    return gateway_for(gateway_kind=carrier.gateway_kind, endpoint_url=carrier.endpoint_url, api_key=carrier.api_key)


def distribution_order_create(
    *, order_id: int, merchant_id: int, carrier_code: str, service_code: str, actor: str
) -> DistributionOrder:
    """Create the delivery leg in the caller's transaction; its `created` event starts booking."""
    with transaction.atomic():
        distribution_order = DistributionOrder.objects.create(
            order_id=order_id, merchant_id=merchant_id, carrier_code=carrier_code, service_code=service_code
        )
        distribution_order.history.create(
            merchant_id=merchant_id, transition="create", from_state="", to_state=S.CREATED, actor=actor
        )
        events.distribution_event(distribution_order, actor=actor)
    return distribution_order


def _locked(distribution_order_id: int) -> DistributionOrder:
    return DistributionOrder.objects.select_for_update().get(pk=distribution_order_id)


def _booking_request(distribution_order: DistributionOrder) -> BookingRequest:
    order = order_get_for_fulfillment(order_id=distribution_order.order_id)
    party_fields = ("name", "company", "line1", "line2", "city", "state", "postal_code", "country", "phone", "email")
    return BookingRequest(
        idempotency_key=str(distribution_order.idempotency_key),
        service_code=distribution_order.service_code,
        reference=order.number,
        sender={f: getattr(order, f"sender_{f}") for f in party_fields},
        recipient={f: getattr(order, f"recipient_{f}") for f in party_fields},
        parcels=[
            {
                "weight_g": p.weight_g,
                "length_mm": p.length_mm,
                "width_mm": p.width_mm,
                "height_mm": p.height_mm,
                "items": [
                    {
                        "description": i.description,
                        "quantity": i.quantity,
                        "unit_value": str(i.unit_value),
                        "currency": i.currency,
                        "hs_code": i.hs_code,
                        "origin_country": i.origin_country,
                    }
                    for i in p.items.all()
                ],
            }
            for p in order.parcels.all()
        ],
    )


def distribution_order_book(*, distribution_order_id: int, gateway: CarrierGateway | None = None) -> DistributionOrder:
    """Book the delivery at its carrier, exactly once however often this runs.

    Raises CarrierTransientError for the caller to retry; a permanent refusal ends in
    `booking_failed`.
    """
    with transaction.atomic(durable=True):
        distribution_order = _locked(distribution_order_id)
        if distribution_order.state not in (S.CREATED, S.BOOKING):
            return distribution_order
        distribution_order.booking_attempts += 1
        take_transition(distribution_order, "start_booking", actor=ACTOR,
                        reason=f"attempt {distribution_order.booking_attempts}")
    request = _booking_request(distribution_order)
    try:
        booking = (gateway or _gateway(distribution_order.carrier_code)).book(request)
    except CarrierPermanentError as exc:
        return distribution_order_fail_booking(distribution_order_id=distribution_order_id, reason=exc.message)
    with transaction.atomic(durable=True):
        distribution_order = _locked(distribution_order_id)
        if distribution_order.state != S.BOOKING:
            logger.warning("distribution order %s left booking while the carrier booked it", distribution_order_id)
            return distribution_order
        now = timezone.now()
        distribution_order.tracking_number = booking.tracking_number
        distribution_order.label_pdf = booking.label_pdf
        distribution_order.booked_at = now
        distribution_order.last_error = ""
        distribution_order.next_poll_at = now + timedelta(seconds=settings.TRACKING_POLL_SECONDS)
        _transition(distribution_order, "mark_booked", reason=f"tracking number {booking.tracking_number}")
    return distribution_order


def distribution_order_fail_booking(*, distribution_order_id: int, reason: str) -> DistributionOrder:
    with transaction.atomic():
        distribution_order = _locked(distribution_order_id)
        if distribution_order.state not in (S.CREATED, S.BOOKING):
            return distribution_order
        distribution_order.last_error = reason[:500]
        _transition(distribution_order, "fail_booking", reason=reason)
    return distribution_order


def tracking_apply(*, distribution_order_id: int, updates: list[TrackingUpdate]) -> DistributionOrder:
    """Keep every new carrier event, and move the delivery forward to the furthest milestone seen.

    Events come late, twice or out of order: duplicates are dropped by the unique constraint, and
    an event behind the current state stays in the timeline without moving the state back.
    """
    with transaction.atomic():
        distribution_order = _locked(distribution_order_id)
        TrackingEvent.objects.bulk_create(
            [
                TrackingEvent(
                    distribution_order=distribution_order,
                    merchant_id=distribution_order.merchant_id,
                    order_id=distribution_order.order_id,
                    milestone=u.milestone,
                    carrier_status=u.carrier_status,
                    description=u.description[:300],
                    location=u.location[:200],
                    occurred_at=u.occurred_at,
                )
                for u in updates
            ],
            ignore_conflicts=True,
        )
        if distribution_order.state in PROGRESS_PATH:
            milestones = set(distribution_order.tracking_events.values_list("milestone", flat=True))
            reached = [PROGRESS_PATH.index(_STATE_OF_MILESTONE[m]) for m in milestones if m in _STATE_OF_MILESTONE]
            current = PROGRESS_PATH.index(distribution_order.state)
            for state in PROGRESS_PATH[current + 1 : max(reached, default=current) + 1]:
                _transition(distribution_order, _STEP_INTO[state], actor=f"carrier:{distribution_order.carrier_code}")
        if distribution_order.state in TRACKABLE:
            distribution_order.next_poll_at = timezone.now() + timedelta(seconds=settings.TRACKING_POLL_SECONDS)
        else:
            distribution_order.next_poll_at = None
        distribution_order.save(update_fields=["next_poll_at", "updated_at"])
    return distribution_order


def tracking_poll_due(*, limit: int = 200, batch_size: int = 50) -> int:
    """Poll carriers for deliveries whose next poll is due, batched per carrier; return how many.

    The due rows are claimed by pushing their next poll forward before any call goes out, so two
    overlapping pollers do not ask twice.
    """
    now = timezone.now()
    with transaction.atomic():
        due = list(
            DistributionOrder.objects.select_for_update(skip_locked=True)
            .filter(state__in=TRACKABLE, next_poll_at__lte=now)
            .order_by("next_poll_at")
            .only("id", "carrier_code", "tracking_number")[:limit]
        )
        DistributionOrder.objects.filter(pk__in=[d.pk for d in due]).update(
            next_poll_at=now + timedelta(seconds=settings.TRACKING_POLL_SECONDS)
        )
    by_carrier: dict[str, list[DistributionOrder]] = {}
    for distribution_order in due:
        by_carrier.setdefault(distribution_order.carrier_code, []).append(distribution_order)
    for carrier_code, orders in by_carrier.items():
        gateway = _gateway(carrier_code)
        for start in range(0, len(orders), batch_size):
            batch = orders[start : start + batch_size]
            try:
                found = gateway.track([d.tracking_number for d in batch])
            except Exception as exc:  # one carrier's trouble must not stop the others' tracking
                logger.warning("tracking poll of %s failed: %s", carrier_code, exc)
                continue
            for distribution_order in batch:
                tracking_apply(
                    distribution_order_id=distribution_order.pk,
                    updates=found.get(distribution_order.tracking_number, []),
                )
    return len(due)
