import pytest

from apps.common.models import OutboxEvent
from apps.orders.exceptions import OrderNotCancellable, OrderStateConflict
from apps.orders.models import Order, OrderTransition
from apps.orders.services import order_advance, order_cancel, order_schedule, order_start_fulfillment
from apps.orders.tests.factories import create_order


@pytest.fixture
def order(merchant):
    return create_order(merchant_id=merchant.pk, reference="R-1")


def _events(order):
    return list(
        OutboxEvent.objects.filter(aggregate_id=str(order.pk)).order_by("id").values_list("event_type", flat=True)
    )


def test_an_accepted_order_has_its_creation_recorded_with_an_event(order):
    row = Order.objects.get(pk=order.pk)

    assert row.state == "accepted"
    assert list(row.history.values_list("from_state", "to_state", "actor")) == [("", "accepted", "test")]
    assert _events(order) == ["orders.order.accepted"]


def test_each_transition_is_recorded_with_actor_and_reason_and_bumps_the_version(order):
    order_schedule(order_id=order.pk, lane="carrier:test-post", actor="system:scheduling")
    order_start_fulfillment(order_id=order.pk, actor="system:scheduling")

    row = Order.objects.get(pk=order.pk)
    assert (row.state, row.version) == ("in_fulfillment", 3)
    steps = list(OrderTransition.objects.filter(order=order).values_list("from_state", "to_state", "actor", "reason"))
    assert steps[1:] == [
        ("accepted", "scheduled", "system:scheduling", "queued on lane carrier:test-post"),
        ("scheduled", "in_fulfillment", "system:scheduling", "released to fulfilment"),
    ]
    assert _events(order)[1:] == ["orders.order.scheduled", "orders.order.in_fulfillment"]


def test_progress_walks_every_step_and_never_goes_back(order):
    order_schedule(order_id=order.pk, lane="l", actor="t")
    order_start_fulfillment(order_id=order.pk, actor="t")

    order_advance(order_id=order.pk, target="delivered", actor="carrier:x")
    order_advance(order_id=order.pk, target="in_transit", actor="carrier:x")  # a late report

    row = Order.objects.get(pk=order.pk)
    assert row.state == "delivered"
    assert list(row.history.values_list("to_state", flat=True)) == [
        "accepted",
        "scheduled",
        "in_fulfillment",
        "handed_over",
        "in_transit",
        "delivered",
    ]


def test_customs_hold_and_a_failed_attempt_are_steps_of_equal_rank_that_apply(order):
    order_schedule(order_id=order.pk, lane="l", actor="t")
    order_start_fulfillment(order_id=order.pk, actor="t")

    for state in [
        "in_transit",
        "customs_hold",
        "in_transit",
        "out_for_delivery",
        "delivery_failed",
        "out_for_delivery",
        "handed_over",
        "delivered",
        "customs_hold",
    ]:
        order_advance(order_id=order.pk, target=state, actor="carrier:x")

    row = Order.objects.get(pk=order.pk)
    assert row.state == "delivered"
    assert list(row.history.values_list("to_state", flat=True))[2:] == [
        "in_fulfillment",
        "handed_over",
        "in_transit",
        "customs_hold",
        "in_transit",
        "out_for_delivery",
        "delivery_failed",
        "out_for_delivery",
        "delivered",
    ]


def test_an_illegal_transition_is_refused_and_changes_nothing(order):
    with pytest.raises(OrderStateConflict):
        order_start_fulfillment(order_id=order.pk, actor="t")

    row = Order.objects.get(pk=order.pk)
    assert (row.state, row.version, row.history.count()) == ("accepted", 1, 1)


def test_cancel_before_hand_over_and_refusal_after(merchant, order):
    order_cancel(merchant_id=merchant.pk, order_id=order.pk, actor="user:1")
    assert Order.objects.get(pk=order.pk).state == "cancelled"

    shipped = create_order(merchant_id=merchant.pk, reference="R-2")
    order_schedule(order_id=shipped.pk, lane="l", actor="t")
    order_start_fulfillment(order_id=shipped.pk, actor="t")
    order_advance(order_id=shipped.pk, target="in_transit", actor="t")
    with pytest.raises(OrderNotCancellable):
        order_cancel(merchant_id=merchant.pk, order_id=shipped.pk, actor="user:1")
    assert Order.objects.get(pk=shipped.pk).state == "in_transit"
