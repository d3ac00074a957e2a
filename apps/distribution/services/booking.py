"""Booking a delivery at its carrier.

Booking is split around the carrier call so that no transaction stays open while a carrier
thinks: lock and mark `booking`; call the carrier with the order's idempotency key; lock and
mark `booked`. A worker lost between the two re-runs the same steps and the carrier, given the
same key, answers with the same shipment. The order is read once per attempt, as a frozen
`Shipment`, and both the booking request and the label and customs documents are made from it.
"""

import logging
import random
import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.common import metrics
from apps.common.fsm import take_transition
from apps.distribution import events
from apps.distribution.documents import ShipmentDocument, render_shipping_documents
from apps.distribution.exceptions import (
    BookingDeferred,
    CarrierPermanentError,
    CarrierTransientError,
)
from apps.distribution.gateways import BookingRequest, CarrierGateway
from apps.distribution.health import CircuitOpen, circuit_status, guarded_call
from apps.distribution.models import TRACKABLE, DistributionOrder
from apps.distribution.selectors import shipment_as_carried, shipment_of_order
from apps.distribution.services.shared import ACTOR, S, carrier_gateway, locked, take_and_announce
from apps.distribution.shipments import Shipment

logger = logging.getLogger(__name__)


def backoff_seconds(attempt: int) -> float:
    """Exponential backoff with full jitter, so a recovering carrier is not stampeded."""
    return random.uniform(1, min(300, 2 ** (attempt + 1)))


def distribution_order_create(
    *,
    order_id: int,
    merchant_id: int,
    carrier_code: str,
    service_code: str,
    actor: str,
    deliver_to: dict[str, str] | None = None,
    ship_from: dict[str, str] | None = None,
    packed_parcels: list[dict[str, int]] | None = None,
) -> DistributionOrder:
    """Create the delivery leg in the caller's transaction; its `created` event starts booking.
    `deliver_to` (party fields) sends it somewhere else than the order's recipient (a hub);
    `ship_from` from somewhere else than its sender (a warehouse), with the `packed_parcels` the
    warehouse made (weight_g, length_mm, width_mm, height_mm) instead of the order's."""
    with transaction.atomic():
        distribution_order = DistributionOrder.objects.create(
            order_id=order_id,
            merchant_id=merchant_id,
            carrier_code=carrier_code,
            service_code=service_code,
            deliver_to=deliver_to or {},
            ship_from=ship_from or {},
            packed_parcels=packed_parcels or [],
        )
        distribution_order.history.create(
            merchant_id=merchant_id, transition="create", from_state="", to_state=S.CREATED, actor=actor
        )
        events.distribution_event(distribution_order, actor=actor)
    return distribution_order


def _booking_request(distribution_order: DistributionOrder, shipment: Shipment) -> BookingRequest:
    return BookingRequest(
        idempotency_key=str(distribution_order.idempotency_key),
        service_code=distribution_order.service_code,
        reference=shipment.order_number,
        sender=dict(shipment.sender),
        recipient=dict(shipment.recipient),
        parcels=[
            {
                "weight_g": parcel.weight_g,
                "length_mm": parcel.length_mm,
                "width_mm": parcel.width_mm,
                "height_mm": parcel.height_mm,
                "items": [
                    {
                        "description": item.description,
                        "quantity": item.quantity,
                        "unit_value": str(item.unit_value),
                        "currency": item.currency,
                        "hs_code": item.hs_code,
                        "origin_country": item.origin_country,
                    }
                    for item in parcel.items
                ],
            }
            for parcel in shipment.parcels
        ],
    )


def distribution_order_book(*, distribution_order_id: int, gateway: CarrierGateway | None = None) -> DistributionOrder:
    """Book the delivery at its carrier, exactly once however often this runs.

    Raises BookingDeferred when the caller should try again later (the carrier failed this
    time, or its circuit is open, which costs no attempt). A permanent refusal, or a failure
    after MAX_BOOKING_ATTEMPTS attempts, ends in `booking_failed`.
    """
    with transaction.atomic(durable=True):
        distribution_order = locked(distribution_order_id)
        if distribution_order.state not in (S.CREATED, S.BOOKING):
            return distribution_order
        circuit = circuit_status(distribution_order.carrier_code)
        if not circuit.taking_calls:
            _count(distribution_order.carrier_code, outcome="circuit_open", effect="deferred")
            raise BookingDeferred(
                f"circuit of {distribution_order.carrier_code} is {circuit.state}",
                retry_in=circuit.retry_in_seconds + random.uniform(0.5, 3),
                circuit_open=True,
            )
        distribution_order.booking_attempts += 1
        take_transition(
            distribution_order, "start_booking", actor=ACTOR, reason=f"attempt {distribution_order.booking_attempts}"
        )
    shipment = shipment_of_order(order_id=distribution_order.order_id)
    shipment = shipment_as_carried(distribution_order, shipment)
    request = _booking_request(distribution_order, shipment)
    carrier_code = distribution_order.carrier_code
    gateway = gateway or carrier_gateway(carrier_code, distribution_order_id=distribution_order.pk)
    started = time.perf_counter()
    try:
        booking = guarded_call(carrier_code, gateway.book, request)
    except CarrierPermanentError as exc:
        _count(carrier_code, outcome="refused", effect="booking_failed", seconds=time.perf_counter() - started)
        return distribution_order_fail_booking(distribution_order_id=distribution_order_id, reason=exc.message)
    except CircuitOpen as exc:
        # Another worker's failure opened the circuit meanwhile: no call was made, no attempt spent.
        _count(carrier_code, outcome="circuit_open", effect="deferred")
        DistributionOrder.objects.filter(pk=distribution_order_id).update(booking_attempts=F("booking_attempts") - 1)
        raise BookingDeferred(str(exc), retry_in=exc.retry_in + random.uniform(0.5, 3), circuit_open=True) from exc
    except CarrierTransientError as exc:
        attempts = distribution_order.booking_attempts
        gave_up = attempts >= settings.MAX_BOOKING_ATTEMPTS
        effect = "booking_failed" if gave_up else "deferred"
        _count(carrier_code, outcome="failed", effect=effect, seconds=time.perf_counter() - started)
        if gave_up:
            return distribution_order_fail_booking(
                distribution_order_id=distribution_order_id, reason=f"gave up after {attempts} attempts: {exc}"
            )
        DistributionOrder.objects.filter(pk=distribution_order_id).update(last_error=str(exc)[:500])
        raise BookingDeferred(str(exc), retry_in=backoff_seconds(attempts), timed_out="Timeout" in str(exc)) from exc
    seconds = time.perf_counter() - started
    documents = render_shipping_documents(
        ShipmentDocument(
            shipment=shipment,
            carrier_code=distribution_order.carrier_code,
            service_code=distribution_order.service_code,
            tracking_number=booking.tracking_number,
        )
    )
    with transaction.atomic(durable=True):
        distribution_order = locked(distribution_order_id)
        if distribution_order.state != S.BOOKING:
            # Cancelled while the carrier was booking it: the shipment the carrier just made must be
            # voided, through the carrier's lane like every call (scheduling takes the request).
            logger.warning("distribution order %s left booking while the carrier booked it", distribution_order_id)
            _count(carrier_code, outcome="ok", effect="void_requested", seconds=seconds)
            distribution_order.tracking_number = booking.tracking_number
            distribution_order.save(update_fields=["tracking_number", "updated_at"])
            events.distribution_event(
                distribution_order,
                actor=ACTOR,
                reason="booked at the carrier after it was cancelled",
                event_type=events.DISTRIBUTION_ORDER_VOID_REQUESTED,
            )
            return distribution_order
        now = timezone.now()
        distribution_order.tracking_number = booking.tracking_number
        distribution_order.label_pdf = documents
        distribution_order.carrier_label_pdf = booking.label_pdf
        distribution_order.booked_at = now
        distribution_order.last_error = ""
        distribution_order.next_poll_at = now + timedelta(seconds=settings.TRACKING_POLL_SECONDS)
        take_and_announce(distribution_order, "mark_booked", reason=f"tracking number {booking.tracking_number}")
        if not booking.label_pdf:  # the carrier makes its label later: fetch it through its lane
            events.distribution_event(
                distribution_order,
                actor=ACTOR,
                reason="the booking answer carried no label",
                event_type=events.DISTRIBUTION_ORDER_LABEL_REQUESTED,
            )
    _count(carrier_code, outcome="ok", effect="booked", seconds=seconds)
    logger.info("distribution order %s booked at %s", distribution_order_id, carrier_code)
    return distribution_order


def _count(carrier_code: str, *, outcome: str, effect: str, seconds: float | None = None) -> None:
    """The booking metrics (apps/common/metrics.py): one attempt, its effect, the call's duration."""
    metrics.BOOKING_ATTEMPTS.labels(carrier=carrier_code, outcome=outcome).inc()
    metrics.BOOKING_EFFECTS.labels(carrier=carrier_code, effect=effect).inc()
    if seconds is not None:
        metrics.BOOKING_SECONDS.labels(carrier=carrier_code).observe(seconds)


def distribution_order_fail_booking(*, distribution_order_id: int, reason: str) -> DistributionOrder:
    with transaction.atomic():
        distribution_order = locked(distribution_order_id)
        if distribution_order.state not in (S.CREATED, S.BOOKING):
            return distribution_order
        distribution_order.last_error = reason[:500]
        take_and_announce(distribution_order, "fail_booking", reason=reason)
    return distribution_order


def distribution_order_retry(*, distribution_order_id: int, actor: str) -> DistributionOrder:
    """Operations' nudge for a stuck delivery: book it again (`retry_requested`: scheduling puts
    the booking back on the carrier's lane, first in line), or poll its carrier now."""
    with transaction.atomic():
        distribution_order = locked(distribution_order_id)
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
