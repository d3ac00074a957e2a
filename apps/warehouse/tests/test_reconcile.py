"""Stock snapshots from the WMS held against our stock, and operations' decisions on drift."""

from datetime import UTC, datetime, timedelta

import pytest

from apps.common.models import OutboxEvent
from apps.warehouse.events import WAREHOUSE_STOCK_DISCREPANCY
from apps.warehouse.exceptions import DriftAlreadyDecided
from apps.warehouse.models import ReconciliationLine, StockMovement, WarehouseOrder
from apps.warehouse.services import (
    reconciliation_drift_accept,
    reconciliation_drift_hold,
    stock_check,
    stock_snapshot_apply,
    warehouse_apply_wms_order,
    warehouse_stock_snapshot_reconcile,
)
from apps.warehouse.tests.test_orders import MERCHANT, create, levels, stock
from apps.warehouse.tests.test_wms_orders import submitted
from apps.warehouse.wms.types import WmsStage

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def apply(snapshot_id: str, items: dict[str, int], *, taken_at: datetime = T0):
    return stock_snapshot_apply(
        warehouse_code="hk-1",
        snapshot_id=snapshot_id,
        taken_at=taken_at,
        items=[(MERCHANT, sku, n) for sku, n in items.items()],
    )


def many(count: int) -> dict[str, int]:
    return {f"SKU{i:03}": 100 for i in range(count)}


def test_small_drift_is_adjusted_and_large_drift_held_with_the_reason(db):
    for sku, n in many(40).items():
        stock(sku, n)

    report = apply("s1", {**many(40), "SKU000": 99, "SKU001": 150})

    assert (report.outcome, report.skus, report.adjusted, report.held) == ("applied", 40, 1, 1)
    assert levels("SKU000")[0] == 99 and levels("SKU001")[0] == 100
    held = ReconciliationLine.objects.get(decision="pending")
    assert (held.sku, held.ours, held.wms, held.drift, held.reason) == (
        "SKU001",
        100,
        150,
        50,
        "drift beyond tolerance",
    )
    assert StockMovement.objects.filter(kind="adjustment", reference="snapshot s1").get().quantity == -1
    assert OutboxEvent.objects.filter(event_type=WAREHOUSE_STOCK_DISCREPANCY).count() == 1
    assert stock_check().differences == []


def test_a_second_snapshot_with_the_same_counts_adjusts_nothing(db):
    for sku, n in many(40).items():
        stock(sku, n)
    apply("s1", {**many(40), "SKU000": 99})

    second = apply("s2", {**many(40), "SKU000": 99}, taken_at=T0 + timedelta(hours=1))
    repeated = apply("s1", {})

    assert (second.adjusted, second.held) == (0, 0)
    assert repeated.adjusted == 1  # the same snapshot twice is the same report
    assert StockMovement.objects.filter(kind="adjustment").count() == 1 + 40


def test_a_snapshot_that_would_zero_more_than_5_percent_of_stocked_skus_is_refused(db):
    for sku, n in many(40).items():
        stock(sku, n)
    truncated = dict(list(many(40).items())[:37])  # 3 of 40 missing: 7.5 %

    report = apply("s1", truncated)

    assert report.outcome == "refused" and "zero 3 of 40" in report.reason
    assert levels("SKU039")[0] == 100
    assert not StockMovement.objects.filter(reference="snapshot s1").exists()
    assert OutboxEvent.objects.filter(event_type=WAREHOUSE_STOCK_DISCREPANCY).exists()


def test_an_older_snapshot_than_the_last_applied_is_refused(db):
    stock("A", 10)
    apply("s2", {"A": 10}, taken_at=T0)

    report = apply("s1", {"A": 9}, taken_at=T0 - timedelta(minutes=5))

    assert report.outcome == "refused" and levels("A")[0] == 10


def test_units_shipped_after_the_snapshot_was_taken_are_not_counted_twice(wms):
    stock("MUG", 10)
    warehouse_order = submitted([("MUG", 4)])
    ref = f"WO-{warehouse_order.pk}"
    wms.advance(ref, WmsStage.PICKING)
    taken_at = wms.clock  # the WMS counts 10 here, then ships 4
    wms.advance(ref, WmsStage.PACKED)
    for news in wms.log:
        warehouse_apply_wms_order(warehouse_code="hk-1", wms_order=news)
    warehouse_apply_wms_order(warehouse_code="hk-1", wms_order=wms.advance(ref, WmsStage.SHIPPED, shipped={"MUG": 4}))

    report = apply("s1", {"MUG": 10}, taken_at=taken_at)

    assert WarehouseOrder.objects.get(pk=warehouse_order.pk).state == "shipped"
    assert (report.adjusted, report.held) == (0, 0)
    assert levels("MUG") == (6, 0, 6)


def test_a_count_below_what_is_reserved_is_held_not_applied(db):
    stock("MUG", 10)
    create([("MUG", 9)])

    report = apply("s1", {"MUG": 8})

    line = ReconciliationLine.objects.get(report=report)
    assert line.decision == "pending" and "reserved (9)" in line.reason
    assert levels("MUG") == (10, 9, 1)
    with pytest.raises(DriftAlreadyDecided) as refused:
        reconciliation_drift_accept(line_id=line.pk, actor="ops:ann")
    assert refused.value.code == "drift_below_reserved"
    assert ReconciliationLine.objects.get(pk=line.pk).decision == "pending"


def test_operations_accept_or_hold_a_held_drift_once(db):
    stock("A", 100)
    stock("B", 100)
    create([("B", 1)], allow_backorder=True)
    backordered = create([("A", 130)])
    apply("s1", {"A": 150, "B": 50})
    a, b = ReconciliationLine.objects.order_by("sku")

    accepted = reconciliation_drift_accept(line_id=a.pk, actor="ops:ann", reason="found a pallet")
    held = reconciliation_drift_hold(line_id=b.pk, actor="ops:bob", reason="recount Monday")

    assert (accepted.decision, accepted.decided_by, held.decision, held.reason) == (
        "accepted",
        "ops:ann",
        "held",
        "recount Monday",
    )
    assert levels("A")[0] == 150 and levels("B")[0] == 100
    assert WarehouseOrder.objects.get(pk=backordered.pk).state == "allocated"  # the found stock went to it
    with pytest.raises(DriftAlreadyDecided):
        reconciliation_drift_hold(line_id=a.pk, actor="ops:bob", reason="")
    assert stock_check().differences == []


def test_a_newer_snapshot_supersedes_pending_drift(db):
    stock("A", 100)
    apply("s1", {"A": 150})

    apply("s2", {"A": 100}, taken_at=T0 + timedelta(hours=1))

    assert ReconciliationLine.objects.get().decision == "superseded"


def test_reconciling_reads_every_page_of_the_wms_snapshot(wms):
    for i in range(2500):
        wms.stock[f"S{i:04}"] = 5
    stock("S0001", 4)

    report = warehouse_stock_snapshot_reconcile(warehouse_code="hk-1")

    assert report.skus == 2500 and report.adjusted == 1
    assert levels("S0001")[0] == 5
    assert ReconciliationLine.objects.filter(reason="a SKU we do not stock here").count() == 2499
