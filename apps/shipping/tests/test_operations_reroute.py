"""Operations move an order to another carrier before any carrier has its parcel: the shipping
center chooses the route, the old booking leaves its lane or is cancelled, and the history names
the staff member."""

from decimal import Decimal

import pytest

from apps.common import outbox
from apps.distribution.models import DistributionOrder
from apps.distribution.services import distribution_order_book
from apps.orders.models import Order
from apps.orders.services import order_advance
from apps.orders.tests.factories import order_draft
from apps.resources.tests.factories import CoverageFactory
from apps.scheduling.exceptions import WorkNotWaiting
from apps.scheduling.models import Lane, LaneEntry
from apps.scheduling.tests.conftest import FixedGateway
from apps.shipping.exceptions import NoRouteAvailable, OrderNotReroutable, RouteNotEligible
from apps.shipping.services import order_reroute_by_operations, order_submit

STAFF = "staff:oncall"


@pytest.fixture
def backup_post(cn_de_service):
    return CoverageFactory(service__carrier__code="backup-post", service__base_price=Decimal("30.00")).service


def _submitted(merchant, *, paused: bool):
    if paused:
        Lane.objects.create(
            key="carrier:test-post", downstream_kind="carrier", downstream_code="test-post", paused=True
        )
    order = order_submit(merchant_id=merchant.pk, draft=order_draft(reference="OPS-1"), actor="t", channel="api")
    outbox.drain(run_tasks=False)
    return Order.objects.get(pk=order.pk)


def test_an_order_waiting_on_a_paused_lane_moves_to_the_next_carrier(merchant, backup_post):
    order = _submitted(merchant, paused=True)
    assert order.state == "scheduled"

    order_reroute_by_operations(order_id=order.pk, actor=STAFF, reason="test-post is down")
    outbox.drain(run_tasks=False)

    row = Order.objects.get(pk=order.pk)
    assert (row.state, row.carrier_code) == ("in_fulfillment", "backup-post")
    step = row.history.get(transition="reroute")
    assert step.actor == STAFF and "test-post is down" in step.reason
    work = list(LaneEntry.objects.filter(order_id=order.pk).order_by("id").values_list("lane__key", "state"))
    assert work == [("carrier:test-post", "failed"), ("carrier:backup-post", "released")]
    assert list(DistributionOrder.objects.filter(order_id=order.pk).values_list("carrier_code", flat=True)) == [
        "backup-post"
    ]


def test_a_booked_delivery_is_cancelled_and_the_order_goes_to_the_chosen_service(merchant, backup_post):
    order = _submitted(merchant, paused=False)
    first = DistributionOrder.objects.get(order_id=order.pk)
    distribution_order_book(distribution_order_id=first.pk, gateway=FixedGateway())
    outbox.drain(run_tasks=False)

    order_reroute_by_operations(
        order_id=order.pk, actor=STAFF, reason="merchant asked", chosen_route=("backup-post", backup_post.code)
    )
    outbox.drain(run_tasks=False)

    first.refresh_from_db()
    assert first.state == "cancelled"
    assert LaneEntry.objects.filter(order_id=order.pk, kind="void", distribution_order_id=first.pk).exists()
    second = DistributionOrder.objects.filter(order_id=order.pk).exclude(pk=first.pk).get()
    assert (second.carrier_code, second.state) == ("backup-post", "created")
    # The new booking is not closed by the news of the delivery the order left.
    assert LaneEntry.objects.get(order_id=order.pk, kind="book", state="released").distribution_order_id == second.pk


def test_an_order_whose_call_is_under_way_is_refused_and_left_alone(merchant, backup_post):
    order = _submitted(merchant, paused=False)  # released: its booking call may be running now

    with pytest.raises(WorkNotWaiting):
        order_reroute_by_operations(order_id=order.pk, actor=STAFF, reason="too late")

    row = Order.objects.get(pk=order.pk)
    assert (row.state, row.carrier_code) == ("in_fulfillment", "test-post")
    assert not row.history.filter(transition="reroute").exists()


def test_an_order_a_carrier_has_is_not_rerouted(merchant, backup_post):
    order = _submitted(merchant, paused=False)
    order_advance(order_id=order.pk, target="in_transit", actor="t")

    with pytest.raises(OrderNotReroutable):
        order_reroute_by_operations(order_id=order.pk, actor=STAFF, reason="x")


def test_a_chosen_service_that_cannot_take_the_order_is_refused_with_the_reason(merchant, backup_post):
    order = _submitted(merchant, paused=True)

    with pytest.raises(RouteNotEligible):
        order_reroute_by_operations(order_id=order.pk, actor=STAFF, reason="x", chosen_route=("nope", "standard"))

    assert Order.objects.get(pk=order.pk).carrier_code == "test-post"
    assert LaneEntry.objects.get(order_id=order.pk).state == "queued"


def test_with_no_other_carrier_nothing_changes(merchant, cn_de_service):
    order = _submitted(merchant, paused=True)

    with pytest.raises(NoRouteAvailable):
        order_reroute_by_operations(order_id=order.pk, actor=STAFF, reason="x")

    assert LaneEntry.objects.get(order_id=order.pk).state == "queued"
