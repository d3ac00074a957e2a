"""Booking and tracking rules of the distribution center, on its own."""

import io
from datetime import UTC, datetime, timedelta

import pypdf
import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.common.models import OutboxEvent
from apps.distribution.exceptions import CarrierPermanentError
from apps.distribution.gateways import Booking, BookingRequest, SandboxGateway, TrackingUpdate
from apps.distribution.models import CarrierCall, DistributionOrder
from apps.distribution.services import (
    distribution_order_book,
    distribution_order_create,
    tracking_apply,
    tracking_poll,
)
from apps.orders.tests.factories import create_order, parcel_draft
from apps.resources.tests.factories import CoverageFactory

pytestmark = pytest.mark.clock


class FixedGateway:
    def __init__(self):
        self.calls = 0

    def book(self, request):
        self.calls += 1
        return Booking(tracking_number="TN1", label_pdf=b"%PDF-1.4")


class RecordingGateway:
    def __init__(self):
        self.requests = []

    def book(self, request):
        self.requests.append(request)
        return Booking(tracking_number="TN2", label_pdf=b"%PDF-1.4")


class RefusingGateway:
    def book(self, request):
        raise CarrierPermanentError("Carrier refused: postcode not served")


@pytest.fixture
def distribution_order(merchant):
    order = create_order(merchant_id=merchant.pk)
    return distribution_order_create(
        order_id=order.pk, merchant_id=merchant.pk, carrier_code="test-post", service_code="standard", actor="test"
    )


def _events(distribution_order):
    return list(
        OutboxEvent.objects.filter(aggregate_type="distribution_order", aggregate_id=str(distribution_order.pk))
        .order_by("id")
        .values_list("event_type", flat=True)
    )


def test_booking_records_tracking_number_label_and_one_event_per_step(distribution_order):
    gateway = FixedGateway()

    distribution_order_book(distribution_order_id=distribution_order.pk, gateway=gateway)
    distribution_order_book(distribution_order_id=distribution_order.pk, gateway=gateway)  # redelivered task

    distribution_order.refresh_from_db()
    assert (distribution_order.state, distribution_order.tracking_number, gateway.calls) == ("booked", "TN1", 1)
    assert bytes(distribution_order.label_pdf).startswith(b"%PDF")
    assert _events(distribution_order) == ["distribution.order.created", "distribution.order.booked"]


def test_the_carrier_is_asked_for_what_the_labels_show_from_one_read_of_the_order(merchant):
    order = create_order(merchant_id=merchant.pk, parcels=(parcel_draft(weight_g=800), parcel_draft(weight_g=2500)))
    distribution_order = distribution_order_create(
        order_id=order.pk, merchant_id=merchant.pk, carrier_code="test-post", service_code="standard", actor="test"
    )
    gateway = RecordingGateway()

    with CaptureQueriesContext(connection) as queries:
        distribution_order_book(distribution_order_id=distribution_order.pk, gateway=gateway)

    [request] = gateway.requests
    assert (request.reference, request.recipient["name"], request.recipient["email"]) == (
        order.number,
        "Anna Schmidt",
        "anna@example.com",
    )
    assert [(p["weight_g"], p["items"][0]["hs_code"]) for p in request.parcels] == [(800, "610910"), (2500, "610910")]
    distribution_order.refresh_from_db()
    pages = [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(bytes(distribution_order.label_pdf))).pages]
    assert ["Weight: 0.800 kg" in pages[0], "Weight: 2.500 kg" in pages[1]] == [True, True]
    assert all(f"Order: {order.number}" in page and "Anna Schmidt" in page for page in pages[:2])
    assert len([q for q in queries if 'FROM "orders_order"' in q["sql"]]) == 1


def test_a_permanent_refusal_ends_in_booking_failed_with_the_reason(distribution_order):
    distribution_order_book(distribution_order_id=distribution_order.pk, gateway=RefusingGateway())

    distribution_order.refresh_from_db()
    assert distribution_order.state == "booking_failed"
    assert "postcode not served" in distribution_order.last_error
    assert _events(distribution_order)[-1] == "distribution.order.booking_failed"


@pytest.mark.django_db(transaction=True)
def test_the_sandbox_carrier_answers_a_repeated_booking_with_the_same_shipment(live_server):
    endpoint = f"{live_server.url}/sandbox/carriers/live-post/"
    CoverageFactory(service__carrier__code="live-post", service__carrier__endpoint_url=endpoint)
    gateway = SandboxGateway(endpoint_url=endpoint, api_key=settings.SANDBOX_API_KEY)
    request = BookingRequest(
        idempotency_key="key-1",
        service_code="standard",
        reference="R",
        sender={"name": "S", "city": "Shenzhen", "country": "CN"},
        recipient={"name": "R", "city": "Berlin", "country": "DE"},
        parcels=[{"weight_g": 100}],
    )

    first, second = gateway.book(request), gateway.book(request)
    other = gateway.book(BookingRequest(**{**vars(request), "idempotency_key": "key-2"}))

    assert first.tracking_number == second.tracking_number
    assert other.tracking_number != first.tracking_number
    assert first.label_pdf.startswith(b"%PDF-")


def _update(milestone, minutes):
    occurred_at = datetime(2026, 11, 1, 12, tzinfo=UTC) + timedelta(minutes=minutes)
    return TrackingUpdate(
        milestone=milestone,
        carrier_status=milestone.upper(),
        description=milestone,
        location="Berlin, DE",
        occurred_at=occurred_at,
    )


def test_late_and_repeated_events_are_kept_once_and_never_move_the_parcel_back(distribution_order):
    distribution_order_book(distribution_order_id=distribution_order.pk, gateway=FixedGateway())

    tracking_apply(
        distribution_order_id=distribution_order.pk,
        updates=[_update("info_received", 0), _update("out_for_delivery", 30)],
    )
    tracking_apply(
        distribution_order_id=distribution_order.pk, updates=[_update("picked_up", 10), _update("out_for_delivery", 30)]
    )

    distribution_order.refresh_from_db()
    assert distribution_order.state == "out_for_delivery"
    assert list(distribution_order.tracking_events.values_list("milestone", flat=True)) == [
        "info_received",
        "picked_up",
        "out_for_delivery",
    ]
    assert list(distribution_order.history.values_list("to_state", flat=True)) == [
        "created",
        "booking",
        "booked",
        "picked_up",
        "in_transit",
        "out_for_delivery",
    ]


def test_customs_hold_then_release_and_a_failed_attempt_are_followed_in_event_time(distribution_order):
    distribution_order_book(distribution_order_id=distribution_order.pk, gateway=FixedGateway())

    tracking_apply(
        distribution_order_id=distribution_order.pk,
        updates=[_update("customs_hold", 20), _update("picked_up", 1), _update("in_transit", 40)],
    )
    tracking_apply(
        distribution_order_id=distribution_order.pk,
        updates=[_update("out_for_delivery", 60), _update("delivery_failed", 70)],
    )
    tracking_apply(distribution_order_id=distribution_order.pk, updates=[_update("in_transit", 5)])  # a late scan

    distribution_order.refresh_from_db()
    assert distribution_order.state == "delivery_failed"
    assert list(distribution_order.history.values_list("to_state", flat=True))[3:] == [
        "picked_up",
        "customs_hold",
        "in_transit",
        "out_for_delivery",
        "delivery_failed",
    ]
    assert distribution_order.next_poll_at is not None  # still trackable


def test_polling_stops_at_a_final_state(distribution_order):
    distribution_order_book(distribution_order_id=distribution_order.pk, gateway=FixedGateway())

    tracking_apply(distribution_order_id=distribution_order.pk, updates=[_update("delivered", 90)])

    distribution_order.refresh_from_db()
    assert (distribution_order.state, distribution_order.next_poll_at) == ("delivered", None)


@pytest.mark.django_db(transaction=True)
def test_a_carrier_without_a_configured_credential_is_called_cleanly_and_refused(live_server, merchant):
    endpoint = f"{live_server.url}/sandbox/carriers/open-post/"
    CoverageFactory(
        service__carrier__code="open-post", service__carrier__endpoint_url=endpoint, service__carrier__api_key=""
    )
    order = create_order(merchant_id=merchant.pk)
    distribution_order = distribution_order_create(
        order_id=order.pk, merchant_id=merchant.pk, carrier_code="open-post", service_code="standard", actor="t"
    )

    refused = distribution_order_book(distribution_order_id=distribution_order.pk)

    # The sandbox, like a real carrier, answers only a caller with its API key: a permanent refusal.
    assert refused.state == "booking_failed" and refused.tracking_number == ""
    assert "API key" in refused.last_error


@pytest.mark.django_db(transaction=True)
def test_a_tracking_poll_asks_the_carrier_once_for_the_given_due_deliveries(live_server, merchant, settings):
    # The carrier's rate and concurrency are the lane's (apps/scheduling/tests/test_lane_work.py);
    # a poll is one call for one batch.
    settings.TRACKING_POLL_SECONDS = 0
    endpoint = f"{live_server.url}/sandbox/carriers/slow-lane/"
    CoverageFactory(service__carrier__code="slow-lane", service__carrier__endpoint_url=endpoint)
    legs = []
    for i in range(5):
        order = create_order(merchant_id=merchant.pk, reference=f"RATE-{i}")
        leg = distribution_order_create(
            order_id=order.pk, merchant_id=merchant.pk, carrier_code="slow-lane", service_code="standard", actor="t"
        )
        legs.append(distribution_order_book(distribution_order_id=leg.pk))
    settings.TRACKING_POLL_SECONDS = 60  # the polled ones are not due again for a minute

    polled = tracking_poll(carrier_code="slow-lane", distribution_order_ids=[d.pk for d in legs[:3]])

    assert polled == 3
    assert CarrierCall.objects.filter(carrier_code="slow-lane", operation="track").count() == 1
    assert DistributionOrder.objects.filter(pk__in=[d.pk for d in legs], next_poll_at__lte=timezone.now()).count() == 2


@pytest.mark.django_db(transaction=True)
def test_the_gateway_fetches_the_carriers_label_again(live_server):
    endpoint = f"{live_server.url}/sandbox/carriers/label-post/"
    gateway = SandboxGateway(endpoint_url=endpoint, api_key=settings.SANDBOX_API_KEY)
    booking = gateway.book(
        BookingRequest(
            idempotency_key="label-1",
            service_code="standard",
            reference="R",
            sender={"name": "S", "country": "CN"},
            recipient={"name": "R", "country": "DE"},
            parcels=[{"weight_g": 100}],
        )
    )

    assert gateway.label(booking.tracking_number) == booking.label_pdf
