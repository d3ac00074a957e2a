"""Real concurrency against PostgreSQL: racing writers get one winner and a clear refusal."""

import pytest

from apps.common.testing import run_concurrently
from apps.orders.exceptions import DuplicateReference, OrderNotCancellable, OrderStateConflict
from apps.orders.models import Order
from apps.orders.services import order_cancel
from apps.orders.tests.factories import create_order

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_creations_with_the_same_reference_yield_one_order(merchant):
    outcomes = run_concurrently(*[lambda: create_order(merchant_id=merchant.pk, reference="SAME-1")] * 6)

    created = [o for o in outcomes if isinstance(o, Order)]
    refused = [o for o in outcomes if isinstance(o, DuplicateReference)]
    assert (len(created), len(refused)) == (1, 5)
    assert {r.extra["order_id"] for r in refused} == {str(created[0].id)}
    assert Order.objects.filter(merchant=merchant, reference="SAME-1").count() == 1


def test_two_cancels_racing_cancel_once_and_the_other_is_told_why(merchant):
    order = create_order(merchant_id=merchant.pk)

    outcomes = run_concurrently(
        lambda: order_cancel(merchant_id=merchant.pk, order_id=order.pk, actor="user:1"),
        lambda: order_cancel(merchant_id=merchant.pk, order_id=order.pk, actor="user:2"),
    )

    assert sorted(type(o).__name__ for o in outcomes) == ["Order", "OrderNotCancellable"]
    row = Order.objects.get(pk=order.pk)
    assert (row.state, row.version) == ("cancelled", 2)
    assert list(row.history.values_list("to_state", flat=True)) == ["accepted", "cancelled"]


def test_a_stale_version_is_refused_with_a_version_conflict(merchant):
    order = create_order(merchant_id=merchant.pk)
    order_cancel(merchant_id=merchant.pk, order_id=order.pk, actor="user:1", expected_version=1)
    other = create_order(merchant_id=merchant.pk, reference="R-2")
    Order.objects.filter(pk=other.pk).update(version=2)

    with pytest.raises(OrderStateConflict) as refused:
        order_cancel(merchant_id=merchant.pk, order_id=other.pk, actor="user:1", expected_version=1)

    assert refused.value.code == "version_conflict"
    assert Order.objects.get(pk=other.pk).state == "accepted"
    assert not isinstance(refused.value, OrderNotCancellable)


def test_parallel_intake_across_merchants_all_succeeds_with_distinct_ids(merchant):
    from apps.merchants.tests.factories import MerchantFactory

    merchants = [merchant, *MerchantFactory.create_batch(3)]
    outcomes = run_concurrently(
        *[lambda m=m, i=i: create_order(merchant_id=m.pk, reference=f"P-{i}") for i, m in enumerate(merchants * 3)]
    )

    assert all(isinstance(o, Order) for o in outcomes), outcomes
    assert len({o.id for o in outcomes}) == 12
