"""Cancelling an order calls back everything hanging off it."""

import pytest

from apps.common import outbox
from apps.common.models import OutboxEvent
from apps.common.testing import run_concurrently
from apps.distribution.models import DistributionOrder
from apps.distribution.services import distribution_order_book
from apps.fulfillment.models import FulfillmentOrder
from apps.orders.exceptions import OrderNotCancellable, OrderStateConflict
from apps.orders.models import Order
from apps.orders.services import order_advance, order_cancel
from apps.orders.tests.factories import order_draft
from apps.scheduling.models import Lane, LaneEntry
from apps.scheduling.services import lane_release_all
from apps.shipping.services import order_submit
from apps.shipping.tests.test_order_flow import FixedGateway


def _submit(merchant, reference):
    return order_submit(merchant_id=merchant.pk, draft=order_draft(reference=reference), actor="t", channel="api")


def test_cancelling_a_booked_order_cancels_its_plan_and_its_distribution_leg(merchant, cn_de_service):
    order = _submit(merchant, "C-1")
    outbox.drain(run_tasks=False)
    distribution_order = DistributionOrder.objects.get(order_id=order.pk)
    distribution_order_book(distribution_order_id=distribution_order.pk, gateway=FixedGateway())
    outbox.drain(run_tasks=False)

    order_cancel(merchant_id=merchant.pk, order_id=order.pk, actor="user:1", reason="buyer changed their mind")
    outbox.drain(run_tasks=False)

    assert Order.objects.get(pk=order.pk).state == "cancelled"
    assert DistributionOrder.objects.get(pk=distribution_order.pk).state == "cancelled"
    assert FulfillmentOrder.objects.get(order_id=order.pk).state == "cancelled"
    assert LaneEntry.objects.get(order_id=order.pk, kind="book").state == "completed"  # its slot was freed at booking
    # The leg's cancellation is the news that voids the label at the carrier, through its lane.
    voiding = OutboxEvent.objects.get(event_type="distribution.order.cancelled")
    assert voiding.payload["reason"] == "buyer changed their mind"
    void = LaneEntry.objects.get(kind="void", distribution_order_id=distribution_order.pk)
    assert (void.lane.key, void.order_id) == ("carrier:test-post", order.pk)


def test_an_order_cancelled_while_queued_leaves_its_lane_without_blocking_it(merchant, cn_de_service):
    Lane.objects.create(key="carrier:test-post", downstream_kind="carrier", downstream_code="test-post", paused=True)
    waiting, behind = _submit(merchant, "Q-1"), _submit(merchant, "Q-2")
    outbox.drain(run_tasks=False)

    order_cancel(merchant_id=merchant.pk, order_id=waiting.pk, actor="user:1")
    Lane.objects.update(paused=False)
    lane_release_all()
    outbox.drain(run_tasks=False)  # the released booking is planned; its carrier call is left out

    assert LaneEntry.objects.get(order_id=waiting.pk).state == "failed"
    assert LaneEntry.objects.get(order_id=behind.pk).state == "released"
    assert Order.objects.get(pk=behind.pk).state == "in_fulfillment"
    assert not FulfillmentOrder.objects.filter(order_id=waiting.pk).exists()


def test_cancel_is_refused_once_the_carrier_has_the_parcel(merchant, cn_de_service):
    order = _submit(merchant, "H-1")
    outbox.drain(run_tasks=False)
    order_advance(order_id=order.pk, target="handed_over", actor="carrier:x")

    with pytest.raises(OrderNotCancellable):
        order_cancel(merchant_id=merchant.pk, order_id=order.pk, actor="user:1")
    assert Order.objects.get(pk=order.pk).state == "handed_over"


@pytest.mark.django_db(transaction=True)
def test_a_cancel_racing_a_hand_over_lets_exactly_one_win(merchant, cn_de_service):
    for attempt in range(5):
        order = _submit(merchant, f"RACE-{attempt}")
        outbox.drain(run_tasks=False)

        cancelled, handed_over = run_concurrently(
            lambda order_id=order.pk: order_cancel(merchant_id=merchant.pk, order_id=order_id, actor="user:1"),
            lambda order_id=order.pk: order_advance(order_id=order_id, target="handed_over", actor="carrier:x"),
        )

        row = Order.objects.get(pk=order.pk)
        winners = [o for o in (cancelled, handed_over) if isinstance(o, Order)]
        losers = [o for o in (cancelled, handed_over) if isinstance(o, (OrderNotCancellable, OrderStateConflict))]
        assert (len(winners), len(losers)) == (1, 1)
        assert row.state == winners[0].state
        history = list(row.history.values_list("from_state", "to_state"))
        assert history[-1] in [("in_fulfillment", "cancelled"), ("in_fulfillment", "handed_over")]
        assert len(history) == 4  # created, scheduled, in fulfilment, and exactly one of the two
