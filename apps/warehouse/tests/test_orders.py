"""Warehouse orders before the WMS has them: allocating or backordering, holding, cancelling."""

import pytest

from apps.common.models import OutboxEvent
from apps.warehouse.events import WAREHOUSE_ORDER_CHANGED
from apps.warehouse.exceptions import InvalidWarehouseOrder, OutOfStock, WarehouseOrderNotHoldable
from apps.warehouse.models import Stock, StockReservation, WarehouseOrder
from apps.warehouse.selectors import stock_available, warehouse_order_get
from apps.warehouse.services import (
    stock_adjust,
    stock_check,
    warehouse_order_cancel,
    warehouse_order_create,
    warehouse_order_hold,
    warehouse_order_release_hold,
)

MERCHANT = 7
SHIP_TO = {"name": "Ada Buyer", "street1": "Hauptstr. 1", "city": "Berlin", "postcode": "10115", "country": "DE"}


def stock(sku: str, quantity: int, *, warehouse_code: str = "hk-1", merchant_id: int = MERCHANT) -> None:
    stock_adjust(
        merchant_id=merchant_id, warehouse_code=warehouse_code, sku=sku, quantity=quantity, reason="count", actor="t"
    )


def create(lines, **kwargs) -> WarehouseOrder:
    kwargs.setdefault("order_id", 1001)
    return warehouse_order_create(
        merchant_id=MERCHANT, warehouse_code="hk-1", lines=lines, ship_to=SHIP_TO, actor="test", **kwargs
    )


def levels(sku: str) -> tuple[int, int, int]:
    row = Stock.objects.get(warehouse_code="hk-1", merchant_id=MERCHANT, sku=sku)
    return row.on_hand, row.reserved, row.available


def test_an_order_with_stock_for_every_line_is_allocated_and_reserves_it(db):
    stock("MUG", 5)
    stock("TEE", 3)

    warehouse_order = create([("MUG", 2), ("TEE", 3)])

    assert warehouse_order.state == "allocated"
    assert levels("MUG") == (5, 2, 3) and levels("TEE") == (3, 3, 0)
    assert [
        (line.sku, line.allocated) for line in warehouse_order_get(warehouse_order_id=warehouse_order.pk).lines.all()
    ] == [
        ("MUG", 2),
        ("TEE", 3),
    ]
    assert [h.to_state for h in warehouse_order.history.all()] == ["allocated"]
    event = OutboxEvent.objects.filter(event_type=WAREHOUSE_ORDER_CHANGED).get()
    assert event.payload["state"] == "allocated" and event.payload["order_id"] == "1001"
    assert stock_available(merchant_id=MERCHANT, skus=["MUG", "TEE"]) == {"hk-1": {"MUG": 3}}


def test_the_same_sku_on_two_lines_is_counted_once_per_line(db):
    stock("MUG", 3)

    with pytest.raises(OutOfStock) as refused:
        create([("MUG", 2), ("MUG", 2)], allow_backorder=False)
    allocated = create([("MUG", 1), ("MUG", 2)])

    assert refused.value.extra["short"] == {"MUG": 1}
    assert allocated.state == "allocated"
    assert levels("MUG") == (3, 3, 0)
    assert sorted(StockReservation.objects.values_list("quantity", flat=True)) == [1, 2]
    assert stock_check().differences == []


def test_a_short_order_is_backordered_and_reserves_nothing(db):
    stock("MUG", 1)

    warehouse_order = create([("MUG", 1), ("TEE", 1)])

    assert warehouse_order.state == "backordered"
    assert "TEE x 1" in warehouse_order.history.get().reason
    assert levels("MUG") == (1, 0, 1)
    assert not StockReservation.objects.exists()


def test_out_of_stock_names_the_skus_short_and_writes_nothing(db):
    stock("MUG", 1)

    with pytest.raises(OutOfStock) as refused:
        create([("MUG", 3), ("TEE", 1)], allow_backorder=False)

    assert refused.value.code == "out_of_stock" and refused.value.http_status == 409
    assert refused.value.extra["short"] == {"MUG": 2, "TEE": 1}
    assert not WarehouseOrder.objects.exists() and not OutboxEvent.objects.exists()
    assert levels("MUG") == (1, 0, 1)


@pytest.mark.parametrize(
    "lines",
    [[], [("MUG", 0)], [("", 1)], [("MUG", "2")], [("X" * 65, 1)], ["MUG"]],
)
def test_bad_lines_are_refused_with_the_problem(db, lines):
    with pytest.raises(InvalidWarehouseOrder) as refused:
        create(lines)
    assert refused.value.extra["problems"]
    assert not WarehouseOrder.objects.exists()


def test_an_incomplete_address_or_unknown_policy_is_refused(db):
    with pytest.raises(InvalidWarehouseOrder) as no_city:
        warehouse_order_create(
            order_id=1, merchant_id=MERCHANT, warehouse_code="hk-1", lines=[("A", 1)], ship_to={"name": "x"}
        )
    with pytest.raises(InvalidWarehouseOrder):
        create([("A", 1)], policy="ship_whenever")
    assert "city" in no_city.value.extra["missing"]


def test_cancelling_before_the_wms_releases_the_stock_at_once(db):
    stock("MUG", 2)
    warehouse_order = create([("MUG", 2)])

    cancelled = warehouse_order_cancel(warehouse_order_id=warehouse_order.pk, actor="merchant:7", reason="changed mind")
    again = warehouse_order_cancel(warehouse_order_id=warehouse_order.pk, actor="merchant:7", reason="twice")

    assert cancelled.state == again.state == "cancelled"
    assert levels("MUG") == (2, 0, 2)
    assert [(line.cancelled, line.allocated) for line in cancelled.lines.all()] == [(2, 0)]
    assert cancelled.history.last().actor == "merchant:7"
    assert stock_check().differences == []


def test_a_held_order_keeps_its_stock_and_goes_on_when_released(db):
    stock("MUG", 2)
    warehouse_order = create([("MUG", 2)])

    held = warehouse_order_hold(warehouse_order_id=warehouse_order.pk, actor="ops:ann", reason="address check")
    released = warehouse_order_release_hold(warehouse_order_id=warehouse_order.pk, actor="ops:ann")

    assert held.state == "on_hold"
    assert released.state == "allocated"
    assert levels("MUG") == (2, 2, 0)
    with pytest.raises(WarehouseOrderNotHoldable):
        warehouse_order_release_hold(warehouse_order_id=warehouse_order.pk, actor="ops:ann")


def test_a_released_backorder_is_allocated_if_stock_arrived_meanwhile(db):
    warehouse_order = create([("MUG", 2)])
    warehouse_order_hold(warehouse_order_id=warehouse_order.pk, actor="ops:ann", reason="wait")
    stock("MUG", 5)

    released = warehouse_order_release_hold(warehouse_order_id=warehouse_order.pk, actor="ops:ann")

    assert released.state == "allocated"
    assert levels("MUG") == (5, 2, 3)
