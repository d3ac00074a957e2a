"""Reconciling our stock with a WMS stock snapshot, set-based, and operations' decisions on drift.

The snapshot goes into a temporary table with COPY; one statement compares it with every stock
row of the warehouse, one UPDATE ... FROM corrects the small drifts, and one INSERT ... SELECT
writes their ledger rows and the report's lines (docs/performance.md: 100,000 SKUs in seconds).

- Units shipped or received after the snapshot was taken are already in our on hand but not in
  the WMS's figure: the WMS's figure is moved by them before comparing, so they count once.
- A SKU we stock that the snapshot leaves out counts as zero there. A snapshot that would zero
  more than `WAREHOUSE_SNAPSHOT_MAX_ZEROED_PERCENT` of the stocked SKUs is refused (a truncated
  export must not empty the warehouse), as is one not newer than the last applied.
- Small drift (within `WAREHOUSE_DRIFT_TOLERANCE_UNITS` or `..._PERCENT` of on hand) is corrected
  with an adjustment row; larger drift, or a count below what is reserved, is held for operations
  (`reconciliation_drift_accept` / `reconciliation_drift_hold`).
"""

import time
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from apps.warehouse import events
from apps.warehouse.exceptions import DriftAlreadyDecided
from apps.warehouse.models import ReconciliationLine, ReconciliationReport, Stock, StockMovement
from apps.warehouse.services.orders import warehouse_backorders_allocate
from apps.warehouse.services.shared import gateway
from apps.warehouse.services.stock import stock_row

ACTOR = "system:reconciliation"
D = ReconciliationLine.Decision


def warehouse_stock_snapshot_reconcile(*, warehouse_code: str) -> ReconciliationReport:
    """Read the WMS's current stock snapshot, page by page (no transaction open while it answers),
    then reconcile it. Raises WmsUnavailable for the caller to retry later."""
    wms = gateway(warehouse_code)
    page = wms.stock_snapshot(None)
    snapshot_id, taken_at = page.snapshot_id, page.taken_at
    items = []
    while True:
        items.extend((getattr(i, "merchant_id", None), i.sku, i.on_hand) for i in page.items)
        if not page.next_page:
            break
        page = wms.stock_snapshot(page.next_page)
    return stock_snapshot_apply(warehouse_code=warehouse_code, snapshot_id=snapshot_id, taken_at=taken_at, items=items)


def stock_snapshot_apply(
    *,
    warehouse_code: str,
    snapshot_id: str,
    taken_at: datetime,
    items: Iterable[tuple[int | None, str, int]],
    actor: str = ACTOR,
) -> ReconciliationReport:
    """Reconcile a snapshot given as (merchant id or None, sku, on hand) rows; idempotent by
    snapshot id. Returns the report (outcome `refused` with the reason when refused)."""
    started = time.monotonic()
    with transaction.atomic():
        existing = ReconciliationReport.objects.filter(warehouse_code=warehouse_code, snapshot_id=snapshot_id).first()
        if existing is not None:
            return existing
        report = ReconciliationReport.objects.create(
            warehouse_code=warehouse_code,
            snapshot_id=snapshot_id,
            taken_at=taken_at,
            outcome=ReconciliationReport.Outcome.APPLIED,
        )
        latest = (
            ReconciliationReport.objects.filter(
                warehouse_code=warehouse_code, outcome=ReconciliationReport.Outcome.APPLIED
            )
            .exclude(pk=report.pk)
            .order_by("-taken_at")
            .values_list("taken_at", flat=True)
            .first()
        )
        with connection.cursor() as cursor:
            skus = _load(cursor, items)
            if latest is not None and taken_at <= latest:
                return _refuse(report, f"taken at {taken_at:%Y-%m-%d %H:%M:%S}, not after the last applied ({latest})")
            _lock_stock(cursor, warehouse_code)
            _compare(cursor, warehouse_code, taken_at)
            stocked, zeroed = _zeroed(cursor)
            limit = settings.WAREHOUSE_SNAPSHOT_MAX_ZEROED_PERCENT
            if stocked and zeroed * 100 > stocked * limit:
                return _refuse(
                    report, f"it would zero {zeroed} of {stocked} stocked SKUs (more than {limit:g} %)", skus=skus
                )
            adjusted, held = _apply(cursor, report, warehouse_code, snapshot_id, taken_at, actor)
        ReconciliationLine.objects.filter(
            report__warehouse_code=warehouse_code, decision=D.PENDING, report__taken_at__lt=taken_at
        ).update(decision=D.SUPERSEDED, reason=f"superseded by snapshot {snapshot_id}"[:300])
        report.skus, report.adjusted, report.held = skus, adjusted, held
        report.seconds = round(time.monotonic() - started, 3)
        report.save(update_fields=["skus", "adjusted", "held", "seconds"])
        if held:
            events.stock_discrepancy(
                warehouse_code=warehouse_code,
                source=f"snapshot {snapshot_id}",
                count=held,
                detail=f"{held} SKUs drift beyond tolerance; see reconciliation report {report.pk}",
                actor=actor,
            )
    return report


def _refuse(report: ReconciliationReport, reason: str, *, skus: int = 0) -> ReconciliationReport:
    report.outcome = ReconciliationReport.Outcome.REFUSED
    report.reason = f"Snapshot refused: {reason}."[:500]
    report.skus = skus
    report.save(update_fields=["outcome", "reason", "skus"])
    events.stock_discrepancy(
        warehouse_code=report.warehouse_code,
        source=f"snapshot {report.snapshot_id}",
        count=0,
        detail=report.reason,
        actor=ACTOR,
    )
    return report


def _load(cursor, items: Iterable[tuple[int | None, str, int]]) -> int:
    cursor.execute("DROP TABLE IF EXISTS warehouse_snapshot")
    cursor.execute(
        "CREATE TEMP TABLE warehouse_snapshot (merchant_id bigint, sku varchar(64) NOT NULL, on_hand integer NOT NULL)"
        " ON COMMIT DROP"
    )
    count = 0
    with cursor.copy("COPY warehouse_snapshot (merchant_id, sku, on_hand) FROM STDIN") as copy:
        for merchant_id, sku, on_hand in items:
            copy.write_row((merchant_id, sku, on_hand))
            count += 1
    cursor.execute("CREATE INDEX ON warehouse_snapshot (sku)")
    cursor.execute("ANALYZE warehouse_snapshot")
    return count


def _lock_stock(cursor, warehouse_code: str) -> None:
    # In the services' fixed order, so a reservation waiting on one row cannot hold another we need.
    cursor.execute(
        "SELECT count(*) FROM (SELECT id FROM warehouse_stock WHERE warehouse_code = %s"
        " ORDER BY merchant_id, sku FOR UPDATE) locked",
        [warehouse_code],
    )


def _compare(cursor, warehouse_code: str, taken_at: datetime) -> None:
    units = settings.WAREHOUSE_DRIFT_TOLERANCE_UNITS
    percent = settings.WAREHOUSE_DRIFT_TOLERANCE_PERCENT
    cursor.execute("DROP TABLE IF EXISTS warehouse_drift")
    cursor.execute(
        """
        CREATE TEMP TABLE warehouse_drift ON COMMIT DROP AS
        WITH after AS (
            SELECT stock_id, SUM(quantity) AS units FROM warehouse_stockmovement
            WHERE warehouse_code = %(code)s AND occurred_at > %(taken_at)s AND kind IN ('shipped', 'received')
            GROUP BY stock_id
        ), compared AS (
            SELECT s.id AS stock_id, s.merchant_id, s.sku, s.on_hand AS ours, s.reserved,
                   COALESCE(n.on_hand, 0) + COALESCE(a.units, 0) AS wms
            FROM warehouse_stock s
            LEFT JOIN warehouse_snapshot n
              ON n.sku = s.sku AND (n.merchant_id IS NULL OR n.merchant_id = s.merchant_id)
            LEFT JOIN after a ON a.stock_id = s.id
            WHERE s.warehouse_code = %(code)s
            UNION ALL
            SELECT NULL, n.merchant_id, n.sku, 0, 0, n.on_hand
            FROM warehouse_snapshot n
            WHERE NOT EXISTS (
                SELECT 1 FROM warehouse_stock s WHERE s.warehouse_code = %(code)s AND s.sku = n.sku
                  AND (n.merchant_id IS NULL OR n.merchant_id = s.merchant_id)
            )
        )
        SELECT *, wms - ours AS drift,
               stock_id IS NOT NULL AND wms >= reserved
                 AND abs(wms - ours) <= GREATEST(%(units)s, floor(ours * %(percent)s / 100.0)) AS small
        FROM compared
        """,
        {"code": warehouse_code, "taken_at": taken_at, "units": units, "percent": percent},
    )


def _zeroed(cursor) -> tuple[int, int]:
    cursor.execute(
        "SELECT count(*) FILTER (WHERE ours > 0), count(*) FILTER (WHERE ours > 0 AND wms <= 0) FROM warehouse_drift"
    )
    return cursor.fetchone()


def _apply(cursor, report, warehouse_code, snapshot_id, taken_at, actor) -> tuple[int, int]:
    cursor.execute(
        "UPDATE warehouse_stock s SET on_hand = d.wms, updated_at = now() FROM warehouse_drift d"
        " WHERE s.id = d.stock_id AND d.small AND d.drift <> 0"
    )
    adjusted = cursor.rowcount
    cursor.execute(
        "INSERT INTO warehouse_stockmovement"
        " (stock_id, warehouse_code, kind, quantity, occurred_at, reference, actor, created_at)"
        " SELECT stock_id, %s, 'adjustment', drift, %s, %s, %s, now() FROM warehouse_drift WHERE small AND drift <> 0",
        [warehouse_code, taken_at, f"snapshot {snapshot_id}"[:100], actor],
    )
    cursor.execute(
        """
        INSERT INTO warehouse_reconciliationline
            (report_id, merchant_id, sku, ours, wms, drift, decision, reason, decided_by, decided_at)
        SELECT %(report)s, merchant_id, sku, ours, wms, drift,
               CASE WHEN small THEN 'adjusted' ELSE 'pending' END,
               CASE WHEN small THEN ''
                    WHEN stock_id IS NULL THEN 'a SKU we do not stock here'
                    WHEN wms < reserved THEN 'the WMS counts fewer than are reserved (' || reserved || ')'
                    ELSE 'drift beyond tolerance' END,
               CASE WHEN small THEN %(actor)s ELSE '' END,
               CASE WHEN small THEN now() END
        FROM warehouse_drift WHERE drift <> 0
        """,
        {"report": report.pk, "actor": actor},
    )
    held = cursor.rowcount - adjusted
    return adjusted, held


def _decidable(line_id: int) -> ReconciliationLine:
    line = ReconciliationLine.objects.select_for_update().select_related("report").get(pk=line_id)
    if line.decision != D.PENDING:
        raise DriftAlreadyDecided(
            f"This drift was already decided ({line.get_decision_display()}).",
            extra={"line_id": line_id, "decision": line.decision},
        )
    return line


def reconciliation_drift_accept(*, line_id: int, actor: str, reason: str = "") -> ReconciliationLine:
    """Operations accept a held drift: on hand moves by it, with an adjustment row that says who."""
    with transaction.atomic():
        line = _decidable(line_id)
        report = line.report
        if line.merchant_id is None:
            found = Stock.objects.filter(warehouse_code=report.warehouse_code, sku=line.sku).first()
            merchant_id = found.merchant_id if found else None
            if merchant_id is None:
                raise DriftAlreadyDecided(
                    "The snapshot does not say whose SKU this is; it cannot be stocked from here.",
                    code="drift_owner_unknown",
                    extra={"line_id": line_id},
                )
        else:
            merchant_id = line.merchant_id
        stock = stock_row(merchant_id=merchant_id, warehouse_code=report.warehouse_code, sku=line.sku)
        stock = Stock.objects.select_for_update().get(pk=stock.pk)
        try:
            with transaction.atomic():
                Stock.objects.filter(pk=stock.pk).update(on_hand=stock.on_hand + line.drift, updated_at=timezone.now())
        except IntegrityError as exc:
            raise DriftAlreadyDecided(
                f"Accepting it would leave {stock.on_hand + line.drift} on hand with {stock.reserved} reserved;"
                " cancel or move those orders first, or hold the drift.",
                code="drift_below_reserved",
                extra={"line_id": line_id},
            ) from exc
        StockMovement.objects.create(
            stock=stock,
            warehouse_code=report.warehouse_code,
            kind=StockMovement.Kind.ADJUSTMENT,
            quantity=line.drift,
            occurred_at=report.taken_at,
            reference=f"snapshot {report.snapshot_id} (accepted)"[:100],
            actor=actor,
        )
        line.decision, line.decided_by, line.decided_at = D.ACCEPTED, actor, timezone.now()
        line.reason = (reason or line.reason)[:300]
        line.save(update_fields=["decision", "decided_by", "decided_at", "reason"])
    if line.drift > 0:
        warehouse_backorders_allocate(merchant_id=merchant_id, warehouse_code=report.warehouse_code, skus=[line.sku])
    return line


@transaction.atomic
def reconciliation_drift_hold(*, line_id: int, actor: str, reason: str) -> ReconciliationLine:
    """Operations keep our count and look into the difference; the reason is kept."""
    line = _decidable(line_id)
    line.decision, line.decided_by, line.decided_at = D.HELD, actor, timezone.now()
    line.reason = (reason or line.reason)[:300]
    line.save(update_fields=["decision", "decided_by", "decided_at", "reason"])
    return line
