"""An order's whole way through the centers, with the real sandbox carrier over HTTP."""

import time
from datetime import UTC, datetime, timedelta

import pytest

from apps.common import outbox
from apps.distribution.exceptions import CarrierPermanentError
from apps.distribution.gateways import Booking, TrackingUpdate
from apps.distribution.models import DistributionOrder
from apps.distribution.services import distribution_order_book, tracking_apply
from apps.orders.models import Order
from apps.orders.tests.factories import order_draft
from apps.resources.tests.factories import CoverageFactory
from apps.scheduling.services import lane_track_enqueue_due
from apps.shipping.services import order_submit

pytestmark = pytest.mark.clock


@pytest.fixture
def sandbox_service(live_server):
    return CoverageFactory(
        service__carrier__code="live-post",
        service__carrier__endpoint_url=f"{live_server.url}/sandbox/carriers/live-post/",
    ).service


def _submit(merchant, reference="R-1"):
    return order_submit(merchant_id=merchant.pk, draft=order_draft(reference=reference), actor="test", channel="api")


@pytest.mark.django_db(transaction=True)
def test_an_order_is_booked_tracked_and_delivered_through_the_sandbox_carrier(merchant, sandbox_service, settings):
    settings.SANDBOX_DELIVERY_SECONDS = 1
    settings.TRACKING_POLL_SECONDS = 0
    order = _submit(merchant)

    outbox.drain()  # accepted -> lane -> released -> distribution order -> booked over HTTP
    booked = Order.objects.get(pk=order.pk)
    time.sleep(1.1)
    lane_track_enqueue_due()  # a poll of the carrier, queued on its lane and run through it
    outbox.drain()

    delivered = Order.objects.get(pk=order.pk)
    distribution_order = DistributionOrder.objects.get(order_id=order.pk)
    assert booked.state == "in_fulfillment" and booked.tracking_number.startswith("SBLIV")
    assert delivered.state == "delivered"
    assert distribution_order.state == "delivered"
    assert distribution_order.label_pdf[:5] == b"%PDF-"
    milestones = list(distribution_order.tracking_events.values_list("milestone", flat=True))
    assert milestones[:2] == ["info_received", "picked_up"] and milestones[-1] == "delivered"
    order_states = list(delivered.history.values_list("to_state", flat=True))
    assert order_states[:5] == ["accepted", "scheduled", "in_fulfillment", "handed_over", "in_transit"]
    assert order_states[-2:] == ["out_for_delivery", "delivered"]


class RefusingGateway:
    def book(self, request):
        raise CarrierPermanentError("Carrier refused: postcode not served")


class FixedGateway:
    calls = 0

    def book(self, request):
        FixedGateway.calls += 1
        return Booking(tracking_number="TN1", label_pdf=b"%PDF-1.4")


def _released_distribution_order(merchant):
    order = _submit(merchant)
    outbox.drain(run_tasks=False)  # queued, released and planned; its carrier call is the test's to make
    return DistributionOrder.objects.get(order_id=order.pk)


def test_a_permanent_refusal_ends_in_booking_failed_and_the_order_in_exception(merchant, cn_de_service):
    distribution_order = _released_distribution_order(merchant)

    distribution_order_book(distribution_order_id=distribution_order.pk, gateway=RefusingGateway())
    outbox.drain()

    distribution_order.refresh_from_db()
    assert distribution_order.state == "booking_failed"
    assert "postcode not served" in distribution_order.last_error
    assert Order.objects.get(pk=distribution_order.order_id).state == "exception"


def _update(milestone, minutes):
    occurred_at = datetime(2026, 11, 1, 12, tzinfo=UTC) + timedelta(minutes=minutes)
    return TrackingUpdate(
        milestone=milestone,
        carrier_status=milestone.upper(),
        description=milestone,
        location="Berlin, DE",
        occurred_at=occurred_at,
    )


def test_a_parcel_held_in_customs_and_released_follows_the_latest_event(merchant, cn_de_service):
    distribution_order = _released_distribution_order(merchant)
    distribution_order_book(distribution_order_id=distribution_order.pk, gateway=FixedGateway())

    tracking_apply(
        distribution_order_id=distribution_order.pk, updates=[_update("picked_up", 1), _update("customs_hold", 20)]
    )
    held = DistributionOrder.objects.get(pk=distribution_order.pk).state
    tracking_apply(distribution_order_id=distribution_order.pk, updates=[_update("in_transit", 40)])
    tracking_apply(distribution_order_id=distribution_order.pk, updates=[_update("in_transit", 5)])  # a late scan
    outbox.drain()

    distribution_order.refresh_from_db()
    assert (held, distribution_order.state) == ("customs_hold", "in_transit")
    order = Order.objects.get(pk=distribution_order.order_id)
    assert order.state == "in_transit"
    assert "customs_hold" in order.history.values_list("to_state", flat=True)
