"""Orders from stock that no one warehouse can ship whole are split across warehouses: the plan
with the fewest packages, then the cheapest, then the nearest; each part is a warehouse order
reserved at intake (its own warehouse leg, later its own carrier leg). A warehouse past its
cut-off is left out, saying why, when another ships the order today."""

from datetime import UTC, datetime, time
from decimal import Decimal

import pytest
import time_machine

from apps.common import outbox
from apps.fulfillment.models import FulfillmentLeg
from apps.orders.models import Order
from apps.orders.services import order_cancel
from apps.orders.tests.factories import item_draft, order_draft, parcel_draft
from apps.resources.models import WarehouseDailyUsage
from apps.shipping.services import ANY_WAREHOUSE, order_submit
from apps.warehouse.exceptions import OutOfStock
from apps.warehouse.models import Stock, WarehouseOrder
from apps.warehouse.tests.stocked import stocked_warehouse


def _draft(*lines, reference=""):
    items = tuple(item_draft(sku=sku, quantity=qty, description=sku) for sku, qty in lines)
    return order_draft(reference=reference, parcels=(parcel_draft(weight_g=3000, items=items),))


def _submit(merchant, *lines, warehouse=ANY_WAREHOUSE, reference=""):
    return order_submit(
        merchant_id=merchant.pk,
        draft=_draft(*lines, reference=reference),
        actor="t",
        channel="api",
        warehouse=warehouse,
    )


@pytest.fixture
def plan(django_capture_on_commit_callbacks):
    def run():
        with django_capture_on_commit_callbacks(execute=True):
            outbox.drain()

    return run


def _parts(order):
    return [(p["warehouse"], [tuple(line) for line in p["lines"]]) for p in order.route_explanation["parts"]]


def _reserved(merchant):
    return {(s.warehouse_code, s.sku): s.reserved for s in Stock.objects.filter(merchant_id=merchant.pk) if s.reserved}


def test_stock_over_two_warehouses_splits_the_order_into_two_warehouse_orders_reserved_at_intake(
    merchant, cn_de_service, plan
):
    stocked_warehouse(merchant_id=merchant.pk, stock={"TS-1": 5}, code="sz-1")
    stocked_warehouse(merchant_id=merchant.pk, stock={"MUG": 5}, code="sz-2")

    order = _submit(merchant, ("TS-1", 2), ("MUG", 1))

    assert order.route_explanation["split"] is True
    assert _parts(order) == [("sz-1", [("TS-1", 2)]), ("sz-2", [("MUG", 1)])]
    assert order.warehouse_code == "sz-1" and order.carrier_code == "test-post"
    parts = order.route_explanation["parts"]
    assert order.quoted_price == sum(Decimal(p["price"]) for p in parts)
    assert {(p["carrier"], p["service"]) for p in parts} == {("test-post", cn_de_service.code)}
    # Reserved with the order, before any worker ran: the stock is the order's already.
    drafts = WarehouseOrder.objects.filter(order_id=order.id).order_by("warehouse_code")
    assert [(w.warehouse_code, w.state) for w in drafts] == [("sz-1", "draft"), ("sz-2", "draft")]
    assert _reserved(merchant) == {("sz-1", "TS-1"): 2, ("sz-2", "MUG"): 1}

    plan()

    legs = FulfillmentLeg.objects.filter(fulfillment_order__order_id=order.id).order_by("sequence")
    assert [(leg.kind, leg.part) for leg in legs] == [("warehouse", 1), ("warehouse", 2)]
    states = {w.warehouse_code: w.state for w in WarehouseOrder.objects.filter(order_id=order.id)}
    assert set(states.values()) <= {"allocated", "submitted"}  # each queued on its own warehouse's lane
    assert WarehouseOrder.objects.filter(order_id=order.id).count() == 2
    assert _reserved(merchant) == {("sz-1", "TS-1"): 2, ("sz-2", "MUG"): 1}
    # Each warehouse counts the order against its daily capacity.
    assert dict(WarehouseDailyUsage.objects.values_list("warehouse_code", "orders")) == {"sz-1": 1, "sz-2": 1}


def test_over_three_warehouses_the_plan_with_fewest_packages_wins(merchant, cn_de_service):
    stocked_warehouse(merchant_id=merchant.pk, stock={"TS-1": 5}, code="sz-1")
    stocked_warehouse(merchant_id=merchant.pk, stock={"MUG": 5}, code="sz-2")
    stocked_warehouse(merchant_id=merchant.pk, stock={"CAP": 5, "MUG": 5}, code="sz-3")

    order = _submit(merchant, ("TS-1", 1), ("MUG", 1), ("CAP", 1))

    assert _parts(order) == [("sz-1", [("TS-1", 1)]), ("sz-3", [("CAP", 1), ("MUG", 1)])]
    assert WarehouseOrder.objects.filter(order_id=order.id).count() == 2


def test_stock_in_three_warehouses_makes_three_parts(merchant, cn_de_service):
    for code, sku in (("sz-1", "TS-1"), ("sz-2", "MUG"), ("sz-3", "CAP")):
        stocked_warehouse(merchant_id=merchant.pk, stock={sku: 3}, code=code)

    order = _submit(merchant, ("TS-1", 1), ("MUG", 2), ("CAP", 3))

    assert _parts(order) == [("sz-1", [("TS-1", 1)]), ("sz-2", [("MUG", 2)]), ("sz-3", [("CAP", 3)])]
    assert _reserved(merchant) == {("sz-1", "TS-1"): 1, ("sz-2", "MUG"): 2, ("sz-3", "CAP"): 3}


def test_between_plans_of_as_many_packages_the_cheaper_wins(merchant, cn_de_service):
    stocked_warehouse(merchant_id=merchant.pk, stock={"TS-1": 5}, code="sz-1")
    stocked_warehouse(merchant_id=merchant.pk, stock={"MUG": 5}, code="sz-2", handling_fee="6.00")
    stocked_warehouse(merchant_id=merchant.pk, stock={"MUG": 5}, code="sz-3", handling_fee="0.50")

    order = _submit(merchant, ("TS-1", 1), ("MUG", 1))

    assert [code for code, _ in _parts(order)] == ["sz-1", "sz-3"]


def test_a_line_no_warehouse_holds_whole_is_spread_over_two(merchant, cn_de_service):
    stocked_warehouse(merchant_id=merchant.pk, stock={"TS-1": 3}, code="sz-1")
    stocked_warehouse(merchant_id=merchant.pk, stock={"TS-1": 2}, code="sz-2")

    order = _submit(merchant, ("TS-1", 4))

    assert _parts(order) == [("sz-1", [("TS-1", 3)]), ("sz-2", [("TS-1", 1)])]


def test_a_warehouse_holding_it_all_but_not_shipping_there_leaves_the_order_to_a_split(merchant, cn_de_service):
    stocked_warehouse(merchant_id=merchant.pk, stock={"TS-1": 5, "MUG": 5}, code="sz-0", carrier_codes=())
    stocked_warehouse(merchant_id=merchant.pk, stock={"TS-1": 5}, code="sz-1")
    stocked_warehouse(merchant_id=merchant.pk, stock={"MUG": 5}, code="sz-2")

    order = _submit(merchant, ("TS-1", 1), ("MUG", 1))

    assert _parts(order) == [("sz-1", [("TS-1", 1)]), ("sz-2", [("MUG", 1)])]
    assert {"warehouse": "sz-0", "reason": "no carrier from there takes the order (hands parcels to none)"} in (
        order.route_explanation["warehouses_excluded"]
    )


def test_too_little_in_all_warehouses_together_is_refused_naming_what_is_short(merchant, cn_de_service):
    stocked_warehouse(merchant_id=merchant.pk, stock={"TS-1": 1}, code="sz-1")
    stocked_warehouse(merchant_id=merchant.pk, stock={"TS-1": 1, "MUG": 1}, code="sz-2")

    with pytest.raises(OutOfStock) as refused:
        _submit(merchant, ("TS-1", 3), ("MUG", 1))

    assert refused.value.http_status == 409
    assert refused.value.extra == {"warehouse_code": "", "short": {"TS-1": 1}}
    assert not Order.objects.exists() and not WarehouseOrder.objects.exists() and not _reserved(merchant)


def test_a_named_warehouse_is_never_split(merchant, cn_de_service):
    stocked_warehouse(merchant_id=merchant.pk, stock={"TS-1": 5}, code="sz-1")
    stocked_warehouse(merchant_id=merchant.pk, stock={"MUG": 5}, code="sz-2")

    with pytest.raises(OutOfStock) as refused:
        _submit(merchant, ("TS-1", 1), ("MUG", 1), warehouse="sz-1")

    assert refused.value.extra == {"warehouse_code": "sz-1", "short": {"MUG": 1}}


def test_cancelling_before_the_plan_gives_back_what_intake_reserved(merchant, cn_de_service, plan):
    stocked_warehouse(merchant_id=merchant.pk, stock={"TS-1": 5}, code="sz-1")
    stocked_warehouse(merchant_id=merchant.pk, stock={"MUG": 5}, code="sz-2")
    order = _submit(merchant, ("TS-1", 2), ("MUG", 1))

    order_cancel(merchant_id=merchant.pk, order_id=order.id, actor="t", reason="changed my mind")
    plan()

    assert not _reserved(merchant)
    assert set(WarehouseOrder.objects.filter(order_id=order.id).values_list("state", flat=True)) == {"cancelled"}
    assert not FulfillmentLeg.objects.filter(fulfillment_order__order_id=order.id).exists()


# 09:00 UTC: 17:00 in Shanghai (past a 16:00 cut-off), 10:00 in Amsterdam (before 14:00).
MORNING_IN_EUROPE = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@pytest.fixture
def shanghai_and_amsterdam(merchant, cn_de_service):
    """Both hold the order; Shanghai's is the cheaper (its handling fee)."""
    stocked_warehouse(
        merchant_id=merchant.pk,
        stock={"TS-1": 5},
        code="sha",
        handling_fee="0.50",
        time_zone="Asia/Shanghai",
        cutoff_time=time(16),
    )
    stocked_warehouse(
        merchant_id=merchant.pk,
        stock={"TS-1": 5},
        code="ams",
        handling_fee="3.00",
        time_zone="Europe/Amsterdam",
        cutoff_time=time(14),
    )


@pytest.mark.clock
def test_a_warehouse_past_its_cut_off_is_excluded_when_another_ships_today(merchant, shanghai_and_amsterdam):
    with time_machine.travel(MORNING_IN_EUROPE, tick=False):
        order = _submit(merchant, ("TS-1", 1))

    assert order.warehouse_code == "ams"
    assert order.route_explanation["warehouses_excluded"] == [
        {"warehouse": "sha", "reason": "past its cut-off (16:00 Asia/Shanghai); ams ships it today"}
    ]


@pytest.mark.clock
def test_before_its_cut_off_the_cheaper_warehouse_ships_it(merchant, shanghai_and_amsterdam):
    with time_machine.travel(MORNING_IN_EUROPE.replace(hour=6), tick=False):  # 14:00 in Shanghai
        order = _submit(merchant, ("TS-1", 1))

    assert order.warehouse_code == "sha" and order.route_explanation["warehouses_excluded"] == []


@pytest.mark.clock
def test_when_every_warehouse_is_past_its_cut_off_the_order_still_ships_a_day_later(merchant, shanghai_and_amsterdam):
    with time_machine.travel(MORNING_IN_EUROPE.replace(hour=15), tick=False):  # 23:00 and 16:00
        order = _submit(merchant, ("TS-1", 1))

    assert order.warehouse_code == "sha" and order.route_explanation["warehouses_excluded"] == []
    assert WarehouseOrder.objects.get(order_id=order.id).ship_by.isoformat() == "2026-11-26"
