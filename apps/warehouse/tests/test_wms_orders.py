"""Warehouse orders at the WMS: submitting, cancelling, and following its news, however it comes."""

import random
from datetime import timedelta

import pytest

from apps.common.models import OutboxEvent
from apps.warehouse.events import WAREHOUSE_ORDER_CHANGED
from apps.warehouse.exceptions import WarehouseOrderNotCancellable
from apps.warehouse.models import StockMovement, WarehouseOrder, WmsCall, WmsCursor
from apps.warehouse.services import (
    stock_check,
    warehouse_apply_wms_order,
    warehouse_order_cancel,
    warehouse_order_request_cancel,
    warehouse_order_submit,
    warehouse_poll_changes,
)
from apps.warehouse.tests.test_orders import create, levels, stock
from apps.warehouse.wms import WmsUnavailable
from apps.warehouse.wms.types import WmsStage


def submitted(lines, **kwargs) -> WarehouseOrder:
    warehouse_order = create(lines, **kwargs)
    return warehouse_order_submit(warehouse_order_id=warehouse_order.pk)


def test_submitting_sends_the_order_once_under_its_reference_and_follows_the_answer(wms):
    stock("MUG", 5)
    warehouse_order = create([("MUG", 2)])

    accepted = warehouse_order_submit(warehouse_order_id=warehouse_order.pk)
    again = warehouse_order_submit(warehouse_order_id=warehouse_order.pk)

    ref = f"WO-{warehouse_order.pk}"
    assert accepted.state == again.state == "accepted"
    assert wms.creates == {ref: 1}
    assert wms.requests[ref].ship_to.city == "Berlin"
    assert [h.to_state for h in accepted.history.all()] == ["allocated", "submitted", "accepted"]
    assert list(WmsCall.objects.values_list("operation", "outcome")) == [("create_order", "ok")]


def test_a_wms_that_is_down_leaves_the_order_submitted_and_the_retry_sends_the_same_reference(wms):
    stock("MUG", 5)
    warehouse_order = create([("MUG", 2)])
    wms.down = True

    with pytest.raises(WmsUnavailable):
        warehouse_order_submit(warehouse_order_id=warehouse_order.pk)
    wms.down = False
    accepted = warehouse_order_submit(warehouse_order_id=warehouse_order.pk)

    assert WarehouseOrder.objects.get(pk=warehouse_order.pk).state == accepted.state == "accepted"
    assert wms.creates == {f"WO-{warehouse_order.pk}": 1}
    assert list(WmsCall.objects.order_by("id").values_list("outcome", flat=True)) == ["failed", "ok"]


def test_shipping_consumes_the_reservation_and_on_hand_once(wms):
    stock("MUG", 5)
    warehouse_order = submitted([("MUG", 2)])
    ref = f"WO-{warehouse_order.pk}"

    wms.advance(ref, WmsStage.PICKING)
    wms.advance(ref, WmsStage.PACKED, parcels=1)
    shipped = wms.advance(ref, WmsStage.SHIPPED, shipped={"MUG": 2})
    for news in wms.log:
        warehouse_apply_wms_order(warehouse_code="hk-1", wms_order=news)
    warehouse_apply_wms_order(warehouse_code="hk-1", wms_order=shipped)

    warehouse_order.refresh_from_db()
    assert warehouse_order.state == "shipped"
    assert levels("MUG") == (3, 0, 3)
    assert warehouse_order.parcels == [{"weight_kg": "1.250", "length_cm": "30", "width_cm": "20", "height_cm": "10"}]
    event = OutboxEvent.objects.filter(event_type=WAREHOUSE_ORDER_CHANGED).order_by("id").last()
    assert event.payload["state"] == "shipped"
    assert event.payload["lines"] == [{"sku": "MUG", "ordered": 2, "shipped": 2, "cancelled": 0}]
    assert StockMovement.objects.filter(kind="shipped").get().quantity == -2
    assert stock_check().differences == []


def test_news_never_moves_an_order_back(wms):
    stock("MUG", 5)
    warehouse_order = submitted([("MUG", 1)])
    ref = f"WO-{warehouse_order.pk}"
    picking = wms.advance(ref, WmsStage.PICKING)
    packed = wms.advance(ref, WmsStage.PACKED)

    warehouse_apply_wms_order(warehouse_code="hk-1", wms_order=packed)
    warehouse_apply_wms_order(warehouse_code="hk-1", wms_order=picking)

    warehouse_order.refresh_from_db()
    assert warehouse_order.state == "packed"
    assert [h.to_state for h in warehouse_order.history.all()][-2:] == ["picking", "packed"]


def test_cancel_after_submit_is_requested_and_the_wms_confirms_it(wms):
    stock("MUG", 5)
    warehouse_order = submitted([("MUG", 2)])

    requested = warehouse_order_cancel(warehouse_order_id=warehouse_order.pk, actor="merchant:7", reason="oops")
    cancelled = warehouse_order_request_cancel(warehouse_order_id=warehouse_order.pk)

    assert requested.state == "cancel_requested"
    assert cancelled.state == "cancelled"
    assert levels("MUG") == (5, 0, 5)
    assert stock_check().differences == []


def test_the_wms_refuses_a_cancel_once_picking_started_and_the_order_ships(wms):
    stock("MUG", 5)
    warehouse_order = submitted([("MUG", 2)])
    ref = f"WO-{warehouse_order.pk}"
    warehouse_order_cancel(warehouse_order_id=warehouse_order.pk, actor="merchant:7", reason="oops")
    wms.advance(ref, WmsStage.PICKING)  # the WMS started before our cancel reached it

    refused = warehouse_order_request_cancel(warehouse_order_id=warehouse_order.pk)
    warehouse_apply_wms_order(
        warehouse_code="hk-1", wms_order=wms.advance(ref, WmsStage.SHIPPED, shipped={"MUG": 2}, parcels=1)
    )

    assert refused.state == "picking"
    assert "picking has started" in refused.history.get(transition="cancel_refused").reason
    assert WarehouseOrder.objects.get(pk=warehouse_order.pk).state == "shipped"
    assert levels("MUG") == (3, 0, 3)


def test_a_cancel_once_picking_started_is_refused_with_the_reason(wms):
    stock("MUG", 5)
    warehouse_order = submitted([("MUG", 2)])
    warehouse_apply_wms_order(
        warehouse_code="hk-1", wms_order=wms.advance(f"WO-{warehouse_order.pk}", WmsStage.PICKING)
    )

    with pytest.raises(WarehouseOrderNotCancellable) as refused:
        warehouse_order_cancel(warehouse_order_id=warehouse_order.pk, actor="merchant:7", reason="late")

    assert refused.value.http_status == 409 and "picking" in refused.value.message
    assert WarehouseOrder.objects.get(pk=warehouse_order.pk).state == "picking"


def test_cancel_rest_policy_ships_what_is_there_and_releases_the_rest(wms):
    stock("MUG", 5)
    stock("TEE", 5)
    warehouse_order = submitted([("MUG", 3), ("TEE", 1)], policy="cancel_rest")
    ref = f"WO-{warehouse_order.pk}"

    wms.advance(ref, WmsStage.PICKING, short={"MUG": 1})
    wms.advance(ref, WmsStage.SHIPPED, shipped={"MUG": 2, "TEE": 1}, parcels=1)
    warehouse_poll_changes(warehouse_code="hk-1")

    warehouse_order.refresh_from_db()
    assert warehouse_order.state == "incomplete"
    assert [(line.sku, line.shipped, line.cancelled) for line in warehouse_order.lines.all()] == [
        ("MUG", 2, 1),
        ("TEE", 1, 0),
    ]
    assert levels("MUG") == (3, 0, 3)
    assert not WarehouseOrder.objects.filter(backorder_of=warehouse_order).exists()
    assert stock_check().differences == []


def test_backorder_rest_policy_keeps_the_rest_in_a_new_backordered_order(wms):
    stock("MUG", 5)
    warehouse_order = submitted([("MUG", 3)], policy="backorder_rest")
    ref = f"WO-{warehouse_order.pk}"

    wms.advance(ref, WmsStage.PICKING, short={"MUG": 2})
    wms.advance(ref, WmsStage.SHIPPED, shipped={"MUG": 1})
    warehouse_poll_changes(warehouse_code="hk-1")

    remainder = WarehouseOrder.objects.get(backorder_of=warehouse_order)
    assert WarehouseOrder.objects.get(pk=warehouse_order.pk).state == "incomplete"
    assert remainder.state == "backordered" and remainder.order_id == warehouse_order.order_id
    assert [(line.sku, line.ordered) for line in remainder.lines.all()] == [("MUG", 2)]
    assert levels("MUG") == (4, 0, 4)


def test_all_or_nothing_policy_asks_the_wms_to_cancel_on_a_short_pick(wms):
    stock("MUG", 5)
    warehouse_order = submitted([("MUG", 3)], policy="all_or_nothing")
    ref = f"WO-{warehouse_order.pk}"

    warehouse_apply_wms_order(warehouse_code="hk-1", wms_order=wms.advance(ref, WmsStage.RECEIVED, short={"MUG": 1}))

    warehouse_order.refresh_from_db()
    assert warehouse_order.state == "cancel_requested"
    assert "all or nothing" in warehouse_order.history.last().reason
    assert warehouse_order_request_cancel(warehouse_order_id=warehouse_order.pk).state == "cancelled"
    assert levels("MUG") == (5, 0, 5)


def test_a_rejected_order_releases_its_stock(wms):
    stock("MUG", 5)
    warehouse_order = submitted([("MUG", 3)])

    warehouse_apply_wms_order(
        warehouse_code="hk-1", wms_order=wms.advance(f"WO-{warehouse_order.pk}", WmsStage.REJECTED)
    )

    assert WarehouseOrder.objects.get(pk=warehouse_order.pk).state == "rejected"
    assert levels("MUG") == (5, 0, 5)


def test_news_about_orders_not_ours_is_ignored(wms):
    stock("MUG", 5)
    warehouse_order = submitted([("MUG", 1)])
    news = wms.advance(f"WO-{warehouse_order.pk}", WmsStage.PICKING)

    assert warehouse_apply_wms_order(warehouse_code="other", wms_order=news) is None
    assert warehouse_apply_wms_order(warehouse_code="hk-1", wms_order=_renamed(news, "ORDER-9")) is None
    assert WarehouseOrder.objects.get(pk=warehouse_order.pk).state == "accepted"


def _renamed(news, reference):
    from dataclasses import replace

    return replace(news, external_reference=reference)


def test_polling_keeps_a_cursor_and_reads_only_newer_changes(wms):
    stock("MUG", 5)
    warehouse_order = submitted([("MUG", 1)])
    wms.advance(f"WO-{warehouse_order.pk}", WmsStage.PICKING)

    first = warehouse_poll_changes(warehouse_code="hk-1")
    second = warehouse_poll_changes(warehouse_code="hk-1")

    assert (first, second) == (2, 0)
    assert WmsCursor.objects.get(warehouse_code="hk-1").cursor == "2"
    assert WarehouseOrder.objects.get(pk=warehouse_order.pk).state == "picking"


def test_every_event_twice_shuffled_and_some_dropped_then_one_poll_ends_right(wms):
    """Webhooks arrive twice, a fifth out of order, some never; one poll of changes then puts
    every order where the WMS has it, with shipped units counted once."""
    rng = random.Random(16)
    for sku in ("A", "B", "C"):
        stock(sku, 200)
    plans = {
        "shipped": ([("A", 2), ("B", 1)], "cancel_rest", [(WmsStage.PICKING, {}), (WmsStage.PACKED, {}),
                     (WmsStage.SHIPPED, {"A": 2, "B": 1})]),
        "partial": ([("A", 3), ("C", 2)], "cancel_rest", [(WmsStage.PICKING, {}), (WmsStage.PACKED, {}),
                     (WmsStage.PARTIALLY_SHIPPED, {"A": 3}), (WmsStage.SHIPPED, {"A": 3, "C": 2})]),
        "short": ([("B", 4)], "cancel_rest", [(WmsStage.PICKING, {}), (WmsStage.SHIPPED, {"B": 3})]),
        "cancelled": ([("C", 1)], "cancel_rest", [(WmsStage.CANCELLED, {})]),
        "packed": ([("A", 1), ("A", 1)], "cancel_rest", [(WmsStage.PICKING, {}), (WmsStage.PACKED, {})]),
    }  # fmt: skip
    orders = {}
    for name, (lines, policy, steps) in plans.items():
        for copy in range(4):
            warehouse_order = submitted(lines, policy=policy, order_id=hash((name, copy)) % 10**9)
            orders[warehouse_order.pk] = name
            for stage, shipped in steps:
                wms.advance(f"WO-{warehouse_order.pk}", stage, shipped=shipped or None)
    news = [n for n in wms.log for _ in range(2)]
    fifth = rng.sample(range(len(news)), len(news) // 5)
    moved = [news[i] for i in fifth]
    rng.shuffle(moved)
    for i, n in zip(sorted(fifth), moved, strict=True):
        news[i] = n
    delivered = [n for n in news if rng.random() > 0.15]

    for n in delivered:
        warehouse_apply_wms_order(warehouse_code="hk-1", wms_order=n)
    warehouse_poll_changes(warehouse_code="hk-1")

    expected = {"shipped": "shipped", "partial": "shipped", "short": "incomplete", "cancelled": "cancelled",
                "packed": "packed"}  # fmt: skip
    for warehouse_order in WarehouseOrder.objects.filter(pk__in=orders):
        assert warehouse_order.state == expected[orders[warehouse_order.pk]], orders[warehouse_order.pk]
    shipped_units = {"A": 4 * (2 + 3), "B": 4 * (1 + 3), "C": 4 * 2}
    for sku, units in shipped_units.items():
        assert levels(sku)[0] == 200 - units, sku
    assert levels("A")[1] == 4 * 2  # the packed orders still hold theirs
    assert stock_check().differences == []


def test_archiving_an_order_moves_its_warehouse_orders_and_leaves_the_stock_whole(wms):
    from apps.common.archive import archived_documents
    from apps.warehouse.archiving import warehouse_archive_for_orders

    stock("MUG", 5)
    warehouse_order = submitted([("MUG", 3)], policy="backorder_rest", order_id=4242)
    ref = f"WO-{warehouse_order.pk}"
    wms.advance(ref, WmsStage.PICKING, short={"MUG": 1})
    warehouse_apply_wms_order(warehouse_code="hk-1", wms_order=wms.advance(ref, WmsStage.SHIPPED, shipped={"MUG": 2}))

    archived = warehouse_archive_for_orders(order_ids=[4242])

    documents = sorted(archived_documents(kind="warehouse_order", order_id=4242), key=lambda d: d["id"])
    assert archived == 2  # the short-shipped order and its backordered remainder
    assert not WarehouseOrder.objects.filter(order_id=4242).exists()
    assert [d["state"] for d in documents] == ["incomplete", "backordered"]
    assert documents[0]["lines"][0]["shipped"] == 2 and documents[0]["history"]
    assert levels("MUG") == (3, 0, 3)
    assert stock_check().differences == []


@pytest.mark.clock
def test_a_cancel_waits_for_a_submit_that_may_still_reach_the_wms(wms):
    import time_machine
    from django.utils import timezone

    from apps.warehouse.exceptions import WarehouseCallDeferred

    stock("MUG", 5)
    warehouse_order = create([("MUG", 2)])
    wms.down = True
    with pytest.raises(WmsUnavailable):  # the create timed out: it may still land at the WMS
        warehouse_order_submit(warehouse_order_id=warehouse_order.pk)
    wms.down = False
    warehouse_order_cancel(warehouse_order_id=warehouse_order.pk, actor="merchant:7", reason="oops")

    with pytest.raises(WarehouseCallDeferred) as deferred:
        warehouse_order_request_cancel(warehouse_order_id=warehouse_order.pk)
    assert WarehouseOrder.objects.get(pk=warehouse_order.pk).state == "cancel_requested"
    assert deferred.value.retry_in > 0
    with time_machine.travel(timezone.now() + timedelta(seconds=deferred.value.retry_in + 1)):
        cancelled = warehouse_order_request_cancel(warehouse_order_id=warehouse_order.pk)

    assert cancelled.state == "cancelled"
    assert "never had" in cancelled.history.last().reason
    assert levels("MUG") == (5, 0, 5)
