"""`order_create` writes an order's five tables in one statement: all of them or none.

These run without a test transaction around them (`transaction=True`), as the API calls the
service; `test_services.py` covers the same service inside a caller's transaction.
"""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from apps.common.models import OutboxEvent
from apps.orders.exceptions import DuplicateReference
from apps.orders.models import Item, Order, OrderTransition, Parcel
from apps.orders.services import order_create
from apps.orders.tests.factories import fixed_route, item_draft, order_draft, parcel_draft

pytestmark = pytest.mark.django_db(transaction=True)


def _create(merchant, **draft_overrides) -> Order:
    return order_create(
        merchant_id=merchant.pk, draft=order_draft(**draft_overrides), route=fixed_route(), actor="test", channel="api"
    )


def _rows_of(merchant) -> tuple[int, int, int, int, int]:
    return (
        Order.objects.filter(merchant=merchant).count(),
        Parcel.objects.filter(merchant_id=merchant.pk).count(),
        Item.objects.filter(merchant_id=merchant.pk).count(),
        OrderTransition.objects.filter(merchant_id=merchant.pk).count(),
        OutboxEvent.objects.filter(merchant_id=merchant.pk).count(),
    )


def test_each_item_is_recorded_in_its_own_parcel(merchant):
    parcels = (
        parcel_draft(weight_g=500, items=(item_draft(description="Mug"), item_draft(description="Plate"))),
        parcel_draft(weight_g=900, items=()),
        parcel_draft(weight_g=700, items=(item_draft(description="Lamp", quantity=1, unit_value=Decimal("30")),)),
    )

    order = _create(merchant, reference="R-3P", parcels=parcels)

    stored = Order.objects.get(pk=order.pk)
    assert [
        (p.sequence, p.weight_g, [(i.description, i.quantity, i.unit_value) for i in p.items.order_by("id")])
        for p in stored.parcels.all()
    ] == [
        (1, 500, [("Mug", 2, Decimal("12.50")), ("Plate", 2, Decimal("12.50"))]),
        (2, 900, []),
        (3, 700, [("Lamp", 1, Decimal("30.00"))]),
    ]
    assert list(stored.history.values_list("from_state", "to_state", "reason")) == [
        ("", "accepted", "received via api")
    ]
    event = OutboxEvent.objects.get(aggregate_id=str(order.pk))
    assert (event.event_type, event.payload["reference"], event.relayed_at) == ("orders.order.accepted", "R-3P", None)
    assert (stored.created_at, stored.state, stored.version) == (order.created_at, "accepted", 1)


def test_a_row_refused_in_the_last_table_leaves_no_part_of_the_order(merchant):
    _create(merchant, reference="R-KEPT")
    before = _rows_of(merchant)
    # A negative quantity passes the draft but not the items table's check constraint, which
    # PostgreSQL applies after the order, its parcel and its history are already in.
    broken = (parcel_draft(items=(item_draft(quantity=-1),)),)

    with pytest.raises(IntegrityError, match="orders_item_quantity_check"):
        _create(merchant, reference="R-BROKEN", parcels=broken)

    assert _rows_of(merchant) == before
    assert not Order.objects.filter(reference="R-BROKEN").exists()


def test_a_second_order_with_the_reference_is_refused_and_the_callers_transaction_stays_usable(merchant):
    first = _create(merchant, reference="R-DUP")

    with pytest.raises(DuplicateReference) as refused:
        _create(merchant, reference="R-DUP")
    with transaction.atomic():
        with pytest.raises(DuplicateReference):
            _create(merchant, reference="R-DUP")
        again = _create(merchant, reference="R-AFTER")  # the refusal did not break this transaction

    assert refused.value.extra["order_id"] == str(first.pk)
    assert Order.objects.filter(merchant=merchant).count() == 2
    assert _rows_of(merchant) == (2, 2, 2, 2, 2)
    assert Order.objects.get(pk=again.pk).reference == "R-AFTER"
