"""Voids, label fetches and tracking polls go to the carrier through its lane, like bookings."""

import pytest

from apps.common import outbox
from apps.distribution.models import CarrierCall, DistributionOrder
from apps.orders.services import order_cancel
from apps.orders.tests.factories import create_order, fixed_route
from apps.resources.tests.factories import CoverageFactory
from apps.scheduling.models import Lane, LaneEntry
from apps.scheduling.services import lane_pause, lane_track_enqueue_due

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.clock]


@pytest.fixture
def sandbox_carrier(live_server):
    return CoverageFactory(
        service__carrier__code="work-post",
        service__carrier__endpoint_url=f"{live_server.url}/sandbox/carriers/work-post/",
    ).service.carrier


def _booked(merchant, reference):
    order = create_order(merchant_id=merchant.pk, route=fixed_route(carrier_code="work-post"), reference=reference)
    outbox.drain()  # queued, released, planned and booked through the lane
    return order


def test_a_cancelled_booking_is_voided_at_the_carrier_through_its_lane(merchant, sandbox_carrier):
    order = _booked(merchant, "V-1")

    order_cancel(merchant_id=merchant.pk, order_id=order.pk, actor="user:1")
    outbox.drain()

    void = LaneEntry.objects.get(kind="void", order_id=order.pk)
    assert (void.state, void.lane.key) == ("completed", "carrier:work-post")
    cancel_calls = CarrierCall.objects.filter(carrier_code="work-post", operation="cancel")
    assert list(cancel_calls.values_list("outcome", flat=True)) == ["ok"]


def test_operations_fetch_a_carriers_label_again_through_its_lane(merchant, sandbox_carrier, admin_client):
    order = _booked(merchant, "L-1")
    leg = DistributionOrder.objects.get(order_id=order.pk)
    label_from_booking = bytes(leg.carrier_label_pdf)
    DistributionOrder.objects.filter(pk=leg.pk).update(carrier_label_pdf=b"")  # lost, or reissued by the carrier

    admin_client.post(
        "/admin/distribution/distributionorder/",
        {"action": "fetch_label", "_selected_action": [leg.pk]},
    )
    outbox.drain()

    work = LaneEntry.objects.get(kind="label", order_id=order.pk)
    assert (work.state, work.lane.key) == ("completed", "carrier:work-post")
    assert work.history.filter(to_state="queued").get().actor.startswith("staff:")
    leg.refresh_from_db()
    assert label_from_booking.startswith(b"%PDF")
    assert bytes(leg.carrier_label_pdf) == label_from_booking
    assert list(CarrierCall.objects.filter(operation="label").values_list("outcome", flat=True)) == ["ok"]


def test_due_deliveries_are_polled_in_one_batch_per_carrier_through_its_lane(merchant, sandbox_carrier, settings):
    settings.TRACKING_POLL_SECONDS = 0
    orders = [_booked(merchant, f"T-{i}") for i in range(3)]
    lane = Lane.objects.get(key="carrier:work-post")
    Lane.objects.filter(pk=lane.pk).update(paused=True)

    queued = [lane_track_enqueue_due(), lane_track_enqueue_due()]
    lane_pause(lane_id=lane.pk, paused=False, actor="user:1")
    outbox.drain()

    assert queued == [1, 0]  # one queued poll per carrier is enough: it polls whatever is due when it runs
    track = LaneEntry.objects.get(kind="track", lane=lane)
    assert track.state == "completed"
    assert CarrierCall.objects.filter(carrier_code="work-post", operation="track").count() == 1
    legs = DistributionOrder.objects.filter(order_id__in=[o.pk for o in orders])
    assert all(leg.tracking_events.exists() for leg in legs)
