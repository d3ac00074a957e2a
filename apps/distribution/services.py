"""Writes of the distribution center.

Booking is split around the carrier call so that no transaction stays open while a carrier
thinks: lock and mark `booking`; call the carrier with the order's idempotency key; lock and
mark `booked`. A worker lost between the two re-runs the same steps and the carrier, given the
same key, answers with the same shipment.
"""

import logging
import random
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.common import ratelimit
from apps.common.fsm import TransitionNotAllowed, forward_path, take_transition
from apps.distribution import events
from apps.distribution.documents import CustomsItem, ParcelDocument, ShipmentDocument, render_shipping_documents
from apps.distribution.exceptions import (
    BookingDeferred,
    CarrierPermanentError,
    CarrierTransientError,
    DistributionNotCancellable,
)
from apps.distribution.gateways import (
    BookingRequest,
    CallRecord,
    CarrierGateway,
    InvalidWebhook,
    TrackingUpdate,
    gateway_for,
)
from apps.distribution.health import CircuitOpen, circuit_status, guarded_call
from apps.distribution.models import (
    PROGRESS_RANK,
    TRACKABLE,
    CarrierCall,
    CarrierWebhookConfig,
    DistributionOrder,
    DistributionState,
    TrackingEvent,
)
from apps.orders.selectors import order_get_for_fulfillment
from apps.resources.selectors import carrier_get

logger = logging.getLogger(__name__)

S = DistributionState
ACTOR = "system:distribution"
# The transitions carrier news may take, and the state each milestone puts a parcel in.
PROGRESS_TRANSITIONS = {
    "pick_up",
    "move_on",
    "hold_in_customs",
    "dispatch_for_delivery",
    "fail_delivery_attempt",
    "deliver",
    "return_to_sender",
}
_STATE_OF_MILESTONE = {
    TrackingEvent.Milestone.INFO_RECEIVED: S.BOOKED,
    TrackingEvent.Milestone.PICKED_UP: S.PICKED_UP,
    TrackingEvent.Milestone.IN_TRANSIT: S.IN_TRANSIT,
    TrackingEvent.Milestone.CUSTOMS_HOLD: S.CUSTOMS_HOLD,
    TrackingEvent.Milestone.OUT_FOR_DELIVERY: S.OUT_FOR_DELIVERY,
    TrackingEvent.Milestone.DELIVERY_FAILED: S.DELIVERY_FAILED,
    TrackingEvent.Milestone.DELIVERED: S.DELIVERED,
    TrackingEvent.Milestone.RETURNED: S.RETURNED,
    TrackingEvent.Milestone.EXCEPTION: S.EXCEPTION,
}


def _transition(distribution_order: DistributionOrder, name: str, *, actor: str = ACTOR, reason: str = "") -> None:
    take_transition(distribution_order, name, actor=actor, reason=reason)
    events.distribution_event(distribution_order, actor=actor, reason=reason)


def _call_logger(carrier_code: str, distribution_order_id: int | None):
    def log(record: CallRecord) -> None:
        CarrierCall.objects.create(
            carrier_code=carrier_code,
            distribution_order_id=distribution_order_id,
            operation=record.operation,
            method=record.method,
            path=record.path[:300],
            status_code=record.status_code,
            outcome=record.outcome,
            duration_ms=record.duration_ms,
            error=record.error,
        )

    return log


def _gateway(carrier_code: str, *, distribution_order_id: int | None = None) -> CarrierGateway:
    carrier = carrier_get(code=carrier_code)
    return gateway_for(
        gateway_kind=carrier.gateway_kind,
        endpoint_url=carrier.endpoint_url,
        api_key=carrier.api_key,
        observer=_call_logger(carrier.code, distribution_order_id),
    )


def backoff_seconds(attempt: int) -> float:
    """Exponential backoff with full jitter, so a recovering carrier is not stampeded."""
    return random.uniform(1, min(300, 2 ** (attempt + 1)))


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


def _shipment_document(distribution_order: DistributionOrder, tracking_number: str) -> ShipmentDocument:
    order = order_get_for_fulfillment(order_id=distribution_order.order_id)
    party_fields = ("name", "company", "line1", "line2", "city", "state", "postal_code", "country")
    return ShipmentDocument(
        order_number=order.number,
        reference=order.reference,
        carrier_code=distribution_order.carrier_code,
        service_code=distribution_order.service_code,
        tracking_number=tracking_number,
        sender={f: getattr(order, f"sender_{f}") for f in party_fields},
        recipient={f: getattr(order, f"recipient_{f}") for f in party_fields},
        parcels=tuple(
            ParcelDocument(
                weight_g=p.weight_g,
                dimensions_mm=(p.length_mm, p.width_mm, p.height_mm),
                items=tuple(
                    CustomsItem(
                        description=i.description,
                        quantity=i.quantity,
                        unit_value=i.unit_value,
                        currency=i.currency,
                        hs_code=i.hs_code,
                        origin_country=i.origin_country,
                    )
                    for i in p.items.all()
                ),
            )
            for p in order.parcels.all()
        ),
    )


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

    Raises BookingDeferred when the caller should try again later (the carrier failed this
    time, or its circuit is open, which costs no attempt). A permanent refusal, or a failure
    after MAX_BOOKING_ATTEMPTS attempts, ends in `booking_failed`.
    """
    with transaction.atomic(durable=True):
        distribution_order = _locked(distribution_order_id)
        if distribution_order.state not in (S.CREATED, S.BOOKING):
            return distribution_order
        circuit = circuit_status(distribution_order.carrier_code)
        if circuit.state == "open":
            raise BookingDeferred(
                f"circuit of {distribution_order.carrier_code} is open",
                retry_in=circuit.retry_in_seconds + random.uniform(0.5, 3),
            )
        distribution_order.booking_attempts += 1
        take_transition(
            distribution_order, "start_booking", actor=ACTOR, reason=f"attempt {distribution_order.booking_attempts}"
        )
    request = _booking_request(distribution_order)
    carrier_gateway = gateway or _gateway(distribution_order.carrier_code, distribution_order_id=distribution_order.pk)
    try:
        booking = guarded_call(distribution_order.carrier_code, carrier_gateway.book, request)
    except CarrierPermanentError as exc:
        return distribution_order_fail_booking(distribution_order_id=distribution_order_id, reason=exc.message)
    except CircuitOpen as exc:
        # Another worker's failure opened the circuit meanwhile: no call was made, no attempt spent.
        DistributionOrder.objects.filter(pk=distribution_order_id).update(booking_attempts=F("booking_attempts") - 1)
        raise BookingDeferred(str(exc), retry_in=exc.retry_in + random.uniform(0.5, 3)) from exc
    except CarrierTransientError as exc:
        attempts = distribution_order.booking_attempts
        if attempts >= settings.MAX_BOOKING_ATTEMPTS:
            return distribution_order_fail_booking(
                distribution_order_id=distribution_order_id, reason=f"gave up after {attempts} attempts: {exc}"
            )
        DistributionOrder.objects.filter(pk=distribution_order_id).update(last_error=str(exc)[:500])
        raise BookingDeferred(str(exc), retry_in=backoff_seconds(attempts)) from exc
    documents = render_shipping_documents(_shipment_document(distribution_order, booking.tracking_number))
    with transaction.atomic(durable=True):
        distribution_order = _locked(distribution_order_id)
        if distribution_order.state != S.BOOKING:
            # Cancelled while the carrier was booking it: void the shipment the carrier just made.
            logger.warning("distribution order %s left booking while the carrier booked it", distribution_order_id)
            distribution_order.tracking_number = booking.tracking_number
            distribution_order.save(update_fields=["tracking_number", "updated_at"])
            transaction.on_commit(lambda: _void_quietly(distribution_order))
            return distribution_order
        now = timezone.now()
        distribution_order.tracking_number = booking.tracking_number
        distribution_order.label_pdf = documents
        distribution_order.carrier_label_pdf = booking.label_pdf
        distribution_order.booked_at = now
        distribution_order.last_error = ""
        distribution_order.next_poll_at = now + timedelta(seconds=settings.TRACKING_POLL_SECONDS)
        _transition(distribution_order, "mark_booked", reason=f"tracking number {booking.tracking_number}")
    return distribution_order


def _void_quietly(distribution_order: DistributionOrder) -> None:
    try:
        distribution_order_void_at_carrier(distribution_order_id=distribution_order.pk)
    except Exception:
        logger.exception("could not void %s at %s", distribution_order.tracking_number, distribution_order.carrier_code)


def distribution_order_cancel(*, distribution_order_id: int, actor: str, reason: str) -> DistributionOrder:
    """Cancel a delivery the carrier has not collected; its `cancelled` event voids it at the carrier."""
    with transaction.atomic():
        distribution_order = _locked(distribution_order_id)
        if distribution_order.state in (S.CANCELLED, S.BOOKING_FAILED):
            return distribution_order
        try:
            _transition(distribution_order, "cancel", actor=actor, reason=reason)
        except TransitionNotAllowed as exc:
            raise DistributionNotCancellable(
                f"The carrier already has the parcel ({distribution_order.state}); it cannot be cancelled.",
                extra={"distribution_order_id": distribution_order.pk, "state": distribution_order.state},
            ) from exc
        distribution_order.next_poll_at = None
        distribution_order.save(update_fields=["next_poll_at", "updated_at"])
    return distribution_order


def distribution_order_void_at_carrier(*, distribution_order_id: int) -> None:
    """Void the carrier's shipment (and label) of a cancelled delivery; harmless to repeat."""
    distribution_order = DistributionOrder.objects.get(pk=distribution_order_id)
    if distribution_order.state != S.CANCELLED or not distribution_order.tracking_number:
        return
    gateway = _gateway(distribution_order.carrier_code, distribution_order_id=distribution_order.pk)
    guarded_call(distribution_order.carrier_code, gateway.cancel, distribution_order.tracking_number)


def distribution_order_fail_booking(*, distribution_order_id: int, reason: str) -> DistributionOrder:
    with transaction.atomic():
        distribution_order = _locked(distribution_order_id)
        if distribution_order.state not in (S.CREATED, S.BOOKING):
            return distribution_order
        distribution_order.last_error = reason[:500]
        _transition(distribution_order, "fail_booking", reason=reason)
    return distribution_order


def _step_to(distribution_order: DistributionOrder, event: TrackingEvent) -> None:
    target = _STATE_OF_MILESTONE[event.milestone]
    actor = f"carrier:{distribution_order.carrier_code}"
    reason = f"{event.description or event.carrier_status} ({event.location})" if event.location else event.description
    if target == S.EXCEPTION:
        _transition(distribution_order, "flag_exception", actor=actor, reason=reason)
        return
    if target == distribution_order.state or PROGRESS_RANK[target] < PROGRESS_RANK[distribution_order.state]:
        return
    for transition, _ in forward_path(
        DistributionOrder, source=distribution_order.state, target=target, allowed=PROGRESS_TRANSITIONS
    ):
        _transition(distribution_order, transition, actor=actor, reason=reason)


def _follow_new_events(distribution_order: DistributionOrder) -> None:
    """Walk the events newer than the last one followed, in event time; older ones only stay on record."""
    news = distribution_order.tracking_events.order_by("occurred_at", "id")
    if distribution_order.last_event_at is not None:
        news = news.filter(occurred_at__gt=distribution_order.last_event_at)
    for event in news:
        if distribution_order.state in PROGRESS_RANK:
            _step_to(distribution_order, event)
        distribution_order.last_event_at = event.occurred_at


def tracking_apply(*, distribution_order_id: int, updates: list[TrackingUpdate]) -> DistributionOrder:
    """Keep every new carrier event and move the delivery to where its latest event puts it.

    Events come late, twice or out of order: duplicates are dropped by the unique constraint;
    an event older than the last one followed stays in the timeline without moving the state;
    and the state never moves back to a lower rank (a stale scan after delivery changes nothing).
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
        _follow_new_events(distribution_order)
        if distribution_order.state in TRACKABLE:
            distribution_order.next_poll_at = timezone.now() + timedelta(seconds=settings.TRACKING_POLL_SECONDS)
        else:
            distribution_order.next_poll_at = None
        distribution_order.save(update_fields=["next_poll_at", "last_event_at", "updated_at"])
    return distribution_order


def _carrier_has_budget(carrier_code: str) -> bool:
    """Whether one more call fits in the carrier's requests per second (a Redis token bucket
    shared by every poller)."""
    rate = carrier_get(code=carrier_code).requests_per_second
    return ratelimit.take(bucket=f"carrier-calls:{carrier_code}", capacity=rate, per_second=rate).allowed


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
            if not _carrier_has_budget(carrier_code):
                # Over the carrier's request rate: these stay due and go out on a later round.
                DistributionOrder.objects.filter(pk__in=[d.pk for d in orders[start:]]).update(next_poll_at=now)
                break
            try:
                found = guarded_call(carrier_code, gateway.track, [d.tracking_number for d in batch])
            except Exception as exc:  # one carrier's trouble must not stop the others' tracking
                logger.warning("tracking poll of %s failed: %s", carrier_code, exc)
                continue
            for distribution_order in batch:
                tracking_apply(
                    distribution_order_id=distribution_order.pk,
                    updates=found.get(distribution_order.tracking_number, []),
                )
    return len(due)


def tracking_webhook_receive(*, carrier_code: str, headers: dict[str, str], body: bytes) -> int:
    """Verify a carrier's tracking webhook and apply its events; return how many shipments it moved.

    Raises InvalidWebhook (signature, timestamp or body) and CarrierNotFound; nothing is recorded then.
    """
    config = CarrierWebhookConfig.objects.filter(carrier_code=carrier_code).first()
    carrier = carrier_get(code=carrier_code)
    if config is None:
        raise InvalidWebhook("no webhook secret configured for this carrier")
    updates = gateway_for(gateway_kind=carrier.gateway_kind).parse_webhook(
        headers={k.lower(): v for k, v in headers.items()},
        body=body,
        secret=config.secret,
        tolerance_seconds=config.tolerance_seconds,
    )
    ids = dict(
        DistributionOrder.objects.filter(carrier_code=carrier_code, tracking_number__in=list(updates)).values_list(
            "tracking_number", "pk"
        )
    )
    for tracking_number, carrier_events in updates.items():
        if tracking_number in ids:
            tracking_apply(distribution_order_id=ids[tracking_number], updates=carrier_events)
    return len(ids)


def carrier_webhook_secret_set(*, carrier_code: str, secret: str) -> CarrierWebhookConfig:
    config, _ = CarrierWebhookConfig.objects.update_or_create(carrier_code=carrier_code, defaults={"secret": secret})
    return config


def distribution_order_retry(*, distribution_order_id: int, actor: str) -> DistributionOrder:
    """Operations' nudge for a stuck delivery: book it again, or poll its carrier now."""
    with transaction.atomic():
        distribution_order = _locked(distribution_order_id)
        if distribution_order.state in (S.CREATED, S.BOOKING):
            events.distribution_event(
                distribution_order,
                actor=actor,
                reason="retry requested",
                event_type=events.DISTRIBUTION_ORDER_RETRY_REQUESTED,
            )
        elif distribution_order.state in TRACKABLE:
            distribution_order.next_poll_at = timezone.now()
            distribution_order.save(update_fields=["next_poll_at", "updated_at"])
    return distribution_order
