"""Intake ships an order from a merchant's stock: routed only among warehouses holding every unit
available, with the warehouse on its route (its plan then makes the warehouse order, which
reserves the units), or refused with the units short named and nothing recorded."""

import pytest

from apps.common import outbox
from apps.orders.models import Order
from apps.orders.tests.factories import item_draft, order_draft, parcel_draft
from apps.shipping.exceptions import InvalidOrder, NoRouteAvailable
from apps.shipping.services import ANY_WAREHOUSE, order_submit
from apps.warehouse.exceptions import OutOfStock
from apps.warehouse.models import Stock, WarehouseOrder
from apps.warehouse.tests.stocked import stocked_warehouse


def _draft(*items):
    return order_draft(parcels=(parcel_draft(items=items or (item_draft(sku="TS-1", quantity=2),)),))


def _submit(merchant, draft, warehouse):
    return order_submit(merchant_id=merchant.pk, draft=draft, actor="t", channel="api", warehouse=warehouse)


@pytest.fixture
def plan(django_capture_on_commit_callbacks):
    """Run what the workers would: the order's submission on its warehouse's lane is planned (the
    warehouse order made, stock reserved); its call to the WMS (nowhere here) fails and waits."""

    def run():
        with django_capture_on_commit_callbacks(execute=True):
            outbox.drain()

    return run


def test_an_order_naming_a_warehouse_carries_it_and_its_plan_reserves_the_stock(merchant, cn_de_service, plan):
    stocked_warehouse(merchant_id=merchant.pk, stock={"TS-1": 5, "MUG": 1})

    order = _submit(merchant, _draft(item_draft(sku="TS-1", quantity=2), item_draft(sku="TS-1", quantity=1)), "sz-1")
    plan()

    assert order.warehouse_code == "sz-1" and order.carrier_code == "test-post"
    assert order.route_explanation["warehouse"] == "sz-1"
    warehouse_order = WarehouseOrder.objects.get(order_id=order.id)
    assert warehouse_order.warehouse_code == "sz-1" and warehouse_order.state in ("allocated", "submitted")
    assert [(line.sku, line.ordered) for line in warehouse_order.lines.all()] == [("TS-1", 3)]
    assert warehouse_order.ship_to["postcode"] == "10115" and warehouse_order.ship_to["street1"] == "Hauptstr. 5"
    assert Stock.objects.get(merchant_id=merchant.pk, sku="TS-1").reserved == 3


def test_routing_picks_a_warehouse_holding_every_unit_when_asked_for_any(merchant, cn_de_service, plan):
    stocked_warehouse(merchant_id=merchant.pk, stock={"TS-1": 1}, code="sz-1")
    stocked_warehouse(merchant_id=merchant.pk, stock={"TS-1": 4}, code="sz-2")

    order = _submit(merchant, _draft(), ANY_WAREHOUSE)
    plan()

    assert order.warehouse_code == "sz-2"
    assert WarehouseOrder.objects.get(order_id=order.id).warehouse_code == "sz-2"


def test_too_few_units_refuse_the_order_naming_each_sku_short_and_record_nothing(merchant, cn_de_service):
    stocked_warehouse(merchant_id=merchant.pk, stock={"TS-1": 1, "MUG": 9})

    with pytest.raises(OutOfStock) as refused:
        _submit(merchant, _draft(item_draft(sku="TS-1", quantity=3), item_draft(sku="CAP", quantity=1)), "sz-1")

    assert refused.value.http_status == 409 and refused.value.code == "out_of_stock"
    assert refused.value.extra == {"warehouse_code": "sz-1", "short": {"TS-1": 2, "CAP": 1}}
    assert not Order.objects.exists() and not WarehouseOrder.objects.exists()
    assert Stock.objects.get(merchant_id=merchant.pk, sku="TS-1").reserved == 0


def test_units_reserved_by_another_order_are_not_available(merchant, cn_de_service, plan):
    stocked_warehouse(merchant_id=merchant.pk, stock={"TS-1": 3})
    _submit(merchant, _draft(item_draft(sku="TS-1", quantity=2)), "sz-1")
    plan()

    with pytest.raises(OutOfStock) as refused:
        _submit(merchant, order_draft(reference="R-2", parcels=(parcel_draft(),)), "sz-1")

    assert refused.value.extra["short"] == {"TS-1": 1}
    assert Order.objects.count() == 1


def test_another_merchants_stock_is_never_shipped(merchant, cn_de_service):
    from apps.merchants.tests.factories import MerchantFactory

    stocked_warehouse(merchant_id=MerchantFactory().pk, stock={"TS-1": 50})

    with pytest.raises(OutOfStock):
        _submit(merchant, _draft(), ANY_WAREHOUSE)


@pytest.mark.parametrize("warehouse", ["nowhere", "x" * 60])
def test_an_unknown_warehouse_is_a_field_error(merchant, cn_de_service, warehouse):
    with pytest.raises(InvalidOrder) as refused:
        _submit(merchant, _draft(), warehouse)

    assert "warehouse" in refused.value.extra["fields"]


def test_items_without_a_sku_cannot_ship_from_stock(merchant, cn_de_service):
    stocked_warehouse(merchant_id=merchant.pk, stock={"TS-1": 5})

    with pytest.raises(InvalidOrder) as refused:
        _submit(merchant, _draft(item_draft(sku="")), "sz-1")

    assert list(refused.value.extra["fields"]) == ["parcels[0].items[0].sku"]


def test_a_warehouse_no_carrier_serves_gives_no_route(merchant, cn_de_service):
    stocked_warehouse(merchant_id=merchant.pk, stock={"TS-1": 5}, carrier_codes=())

    with pytest.raises(NoRouteAvailable):
        _submit(merchant, _draft(), "sz-1")
    assert Stock.objects.get(merchant_id=merchant.pk, sku="TS-1").reserved == 0
