"""Stock writes: reserving for order lines, releasing, consuming on shipment, receiving,
adjusting, expiring reservations, and the ledger check.

Every change of `Stock.reserved` happens together with the `StockReservation` rows it sums, and
every change of `Stock.on_hand` together with a `StockMovement` row, in the caller's
transaction. Stock rows are touched in (merchant_id, sku) order within a warehouse by conditional
UPDATEs, so two transactions never wait on each other in opposite orders; the check constraint
`stock_available_not_negative` is the last word on over-reservation.
"""

import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext

from apps.warehouse import events
from apps.warehouse.exceptions import InvalidWarehouseOrder, OutOfStock
from apps.warehouse.models import Stock, StockCheck, StockMovement, StockReservation, WarehouseOrderLine

logger = logging.getLogger(__name__)

_RESERVE_SQL = """
UPDATE warehouse_stock SET reserved = reserved + %s, updated_at = now()
WHERE warehouse_code = %s AND merchant_id = %s AND sku = %s AND on_hand - reserved >= %s
RETURNING id
"""


_CHECK_SQL = """
WITH ledger AS (
    SELECT stock_id, SUM(quantity) AS units FROM warehouse_stockmovement GROUP BY stock_id
), reservations AS (
    SELECT stock_id, SUM(quantity) AS units FROM warehouse_stockreservation
    WHERE released_at IS NULL GROUP BY stock_id
), compared AS (
    SELECT s.id, s.warehouse_code, s.merchant_id, s.sku, s.on_hand, COALESCE(l.units, 0) AS ledger,
           s.reserved, COALESCE(r.units, 0) AS reservations
    FROM warehouse_stock s
    LEFT JOIN ledger l ON l.stock_id = s.id
    LEFT JOIN reservations r ON r.stock_id = s.id
)
SELECT * FROM compared WHERE on_hand <> ledger OR reserved <> reservations ORDER BY warehouse_code, merchant_id, sku
"""


class _Short(Exception):
    def __init__(self, short: dict[str, int]) -> None:
        self.short = short


def reserve_lines(
    *, merchant_id: int, warehouse_code: str, lines: list[WarehouseOrderLine], owner: str
) -> dict[str, int]:
    """Reserve every line's open quantity, all or nothing; return the units missing per SKU ({} when
    every line is reserved). Lines of the same SKU are summed into one conditional UPDATE of its
    stock row and get a reservation each."""
    wanted: dict[str, int] = defaultdict(int)
    for line in lines:
        wanted[line.sku] += line.open_quantity - line.allocated
    wanted = {sku: qty for sku, qty in wanted.items() if qty > 0}
    try:
        with transaction.atomic():
            stock_ids, short = {}, {}
            with connection.cursor() as cursor:
                for sku in sorted(wanted):
                    cursor.execute(_RESERVE_SQL, [wanted[sku], warehouse_code, merchant_id, sku, wanted[sku]])
                    row = cursor.fetchone()
                    if row is None:
                        short[sku] = wanted[sku]
                    else:
                        stock_ids[sku] = row[0]
            if short:
                raise _Short(short)
    except _Short as refusal:
        available = {
            row.sku: row.available
            for row in Stock.objects.filter(
                warehouse_code=warehouse_code, merchant_id=merchant_id, sku__in=list(refusal.short)
            )
        }
        return {sku: qty - max(available.get(sku, 0), 0) for sku, qty in refusal.short.items()}
    reservations = []
    for line in lines:
        quantity = line.open_quantity - line.allocated
        if quantity > 0:
            reservations.append(
                StockReservation(stock_id=stock_ids[line.sku], line=line, owner=owner, quantity=quantity)
            )
            line.allocated += quantity
    StockReservation.objects.bulk_create(reservations)
    WarehouseOrderLine.objects.bulk_update(lines, ["allocated"])
    return {}


def _stock_changes(changes: dict[int, tuple[int, int]]) -> None:
    """Apply (on hand delta, reserved delta) per stock id, in the fixed order. On hand is never
    taken below what stays reserved: a shipment of units we did not count leaves the ledger
    ahead of on hand, which the check reports."""
    if not changes:
        return
    order = dict(Stock.objects.filter(pk__in=list(changes)).order_by("merchant_id", "sku").values_list("pk", "sku"))
    with connection.cursor() as cursor:
        for stock_id in order:
            on_hand_delta, reserved_delta = changes[stock_id]
            cursor.execute(
                "UPDATE warehouse_stock SET reserved = reserved + %s,"
                " on_hand = GREATEST(on_hand + %s, reserved + %s), updated_at = now() WHERE id = %s",
                [reserved_delta, on_hand_delta, reserved_delta, stock_id],
            )


def release_lines(lines: Iterable[WarehouseOrderLine], *, quantities: dict[int, int] | None = None) -> int:
    """Give back the lines' reservations (or only `quantities[line id]` units of a line); return units."""
    lines = list(lines)
    active = StockReservation.objects.filter(line__in=lines, released_at__isnull=True).order_by("id")
    now = timezone.now()
    changes: dict[int, tuple[int, int]] = defaultdict(lambda: (0, 0))
    by_line = {line.pk: line for line in lines}
    released = 0
    touched = []
    for reservation in active:
        wanted = reservation.quantity if quantities is None else quantities.get(reservation.line_id, 0)
        take = min(wanted, reservation.quantity)
        if take <= 0:
            continue
        if quantities is not None:
            quantities[reservation.line_id] -= take
        reservation.quantity -= take
        if reservation.quantity == 0:
            reservation.released_at = now
        touched.append(reservation)
        changes[reservation.stock_id] = (0, changes[reservation.stock_id][1] - take)
        line = by_line[reservation.line_id]
        line.allocated -= take
        released += take
    _stock_changes(dict(changes))
    StockReservation.objects.bulk_update(touched, ["quantity", "released_at"])
    WarehouseOrderLine.objects.bulk_update(lines, ["allocated"])
    return released


def consume_shipped(
    *, line: WarehouseOrderLine, units: int, occurred_at: datetime, reference: str, actor: str
) -> dict[int, tuple[int, int]]:
    """Count `units` of a line as shipped: its reservation shrinks and the stock leaves on hand.
    Returns the stock changes for the caller to apply with its other lines' (one ordered pass)."""
    changes: dict[int, tuple[int, int]] = {}
    remaining = units
    now = timezone.now()
    stock_id = None
    for reservation in StockReservation.objects.filter(line=line, released_at__isnull=True).order_by("id"):
        stock_id = reservation.stock_id
        take = min(remaining, reservation.quantity)
        reservation.quantity -= take
        if reservation.quantity == 0:
            reservation.released_at = now
        reservation.save(update_fields=["quantity", "released_at"])
        on_hand, reserved = changes.get(stock_id, (0, 0))
        changes[stock_id] = (on_hand, reserved - take)
        remaining -= take
        if remaining == 0:
            break
    line.allocated = max(line.allocated - units, 0)
    if stock_id is None:
        stock_id = (
            Stock.objects.filter(
                warehouse_code=line.warehouse_order.warehouse_code,
                merchant_id=line.warehouse_order.merchant_id,
                sku=line.sku,
            )
            .values_list("pk", flat=True)
            .first()
        )
    if stock_id is None:
        logger.warning("shipment of %s x %s (%s) without a stock row", units, line.sku, reference)
        return changes
    on_hand, reserved = changes.get(stock_id, (0, 0))
    changes[stock_id] = (on_hand - units, reserved)
    StockMovement.objects.create(
        stock_id=stock_id,
        warehouse_code=line.warehouse_order.warehouse_code,
        kind=StockMovement.Kind.SHIPPED,
        quantity=-units,
        occurred_at=occurred_at,
        reference=reference,
        actor=actor,
    )
    return changes


def apply_stock_changes(changes: dict[int, tuple[int, int]]) -> None:
    _stock_changes(changes)


def stock_row(*, merchant_id: int, warehouse_code: str, sku: str) -> Stock:
    """The stock row, made (empty) if it does not exist yet."""
    stock, _ = Stock.objects.get_or_create(merchant_id=merchant_id, warehouse_code=warehouse_code, sku=sku)
    return stock


def stock_receive(
    *,
    merchant_id: int,
    warehouse_code: str,
    quantities: dict[str, int],
    occurred_at: datetime,
    reference: str,
    actor: str,
) -> None:
    """Add received units to on hand (rows made as needed), each with its ledger row."""
    quantities = {sku: qty for sku, qty in quantities.items() if qty > 0}
    if not quantities:
        return
    for sku in sorted(quantities):
        stock_row(merchant_id=merchant_id, warehouse_code=warehouse_code, sku=sku)
    ids = dict(
        Stock.objects.filter(
            merchant_id=merchant_id, warehouse_code=warehouse_code, sku__in=list(quantities)
        ).values_list("sku", "pk")
    )
    _stock_changes({ids[sku]: (qty, 0) for sku, qty in quantities.items()})
    StockMovement.objects.bulk_create(
        StockMovement(
            stock_id=ids[sku],
            warehouse_code=warehouse_code,
            kind=StockMovement.Kind.RECEIVED,
            quantity=qty,
            occurred_at=occurred_at,
            reference=reference,
            actor=actor,
        )
        for sku, qty in sorted(quantities.items())
    )


@transaction.atomic
def stock_adjust(*, merchant_id: int, warehouse_code: str, sku: str, quantity: int, reason: str, actor: str) -> Stock:
    """Operations correct on hand by `quantity` (signed), with the reason in the ledger. Refused
    by the database (IntegrityError) if it would leave less on hand than is reserved."""
    stock = stock_row(merchant_id=merchant_id, warehouse_code=warehouse_code, sku=sku)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE warehouse_stock SET on_hand = on_hand + %s, updated_at = now() WHERE id = %s",
            [quantity, stock.pk],
        )
    StockMovement.objects.create(
        stock=stock,
        warehouse_code=warehouse_code,
        kind=StockMovement.Kind.ADJUSTMENT,
        quantity=quantity,
        occurred_at=timezone.now(),
        reference=reason[:100],
        actor=actor,
    )
    stock.refresh_from_db()
    return stock


@transaction.atomic
def stock_count(*, merchant_id: int, warehouse_code: str, sku: str, on_hand: int, reason: str, actor: str) -> Stock:
    """Set on hand to a counted figure (an opening count, a stocktake): the difference goes into
    the ledger as an adjustment; the same count twice changes nothing."""
    stock = stock_row(merchant_id=merchant_id, warehouse_code=warehouse_code, sku=sku)
    stock = Stock.objects.select_for_update().get(pk=stock.pk)
    if on_hand != stock.on_hand:
        return stock_adjust(
            merchant_id=merchant_id,
            warehouse_code=warehouse_code,
            sku=sku,
            quantity=on_hand - stock.on_hand,
            reason=reason,
            actor=actor,
        )
    return stock


@transaction.atomic
def stock_reserve(
    *,
    merchant_id: int,
    warehouse_code: str,
    sku: str,
    quantity: int,
    owner: str,
    expires_at: datetime | None = None,
) -> StockReservation:
    """Hold units for an owner that is not an order line (a quote, a marketplace listing), until
    released or `expires_at`. Raises OutOfStock (nothing held) when too few are available."""
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1 or not owner:
        raise InvalidWarehouseOrder("A hold needs an owner and a quantity of at least 1.")
    with connection.cursor() as cursor:
        cursor.execute(_RESERVE_SQL, [quantity, warehouse_code, merchant_id, sku, quantity])
        row = cursor.fetchone()
    if row is None:
        raise OutOfStock(
            gettext("Not enough stock at %(warehouse)s for %(skus)s.") % {"warehouse": warehouse_code, "skus": sku},
            extra={"warehouse_code": warehouse_code, "short": {sku: quantity}},
        )
    return StockReservation.objects.create(stock_id=row[0], owner=owner[:100], quantity=quantity, expires_at=expires_at)


@transaction.atomic
def stock_release(*, reservation_id: int) -> StockReservation:
    """Give a hold's units back (again: nothing changes)."""
    reservation = StockReservation.objects.select_for_update().get(pk=reservation_id)
    if reservation.released_at is None:
        _stock_changes({reservation.stock_id: (0, -reservation.quantity)})
        reservation.quantity, reservation.released_at = 0, timezone.now()
        reservation.save(update_fields=["quantity", "released_at"])
    return reservation


def stock_reservations_expire(*, now: datetime | None = None) -> int:
    """Release reservations past their expiry (holds that are not order lines'); return how many."""
    now = now or timezone.now()
    expired = 0
    with transaction.atomic():
        due = list(
            StockReservation.objects.select_for_update(skip_locked=True)
            .filter(released_at__isnull=True, expires_at__lte=now, line__isnull=True)
            .order_by("stock__merchant_id", "stock__sku")
        )
        changes: dict[int, tuple[int, int]] = {}
        for reservation in due:
            changes[reservation.stock_id] = (0, changes.get(reservation.stock_id, (0, 0))[1] - reservation.quantity)
            reservation.quantity = 0
            reservation.released_at = now
            expired += 1
        _stock_changes(changes)
        StockReservation.objects.bulk_update(due, ["quantity", "released_at"])
    return expired


def stock_check(*, actor: str = "system:stock-check") -> StockCheck:
    """Prove on hand = received - shipped ± adjustments (Σ ledger) and reserved = Σ active
    reservations for every stock row; keep the result and tell operations of any difference."""
    # One statement, so every figure is read at the same moment while writers carry on.
    columns = ["stock_id", "warehouse_code", "merchant_id", "sku", "on_hand", "ledger", "reserved", "reservations"]
    with connection.cursor() as cursor:
        cursor.execute(_CHECK_SQL)
        differences = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    rows = Stock.objects.count()
    with transaction.atomic():
        check = StockCheck.objects.create(stock_rows=rows, differences=differences)
        if differences:
            logger.error("stock check found %d differences (stock check %s)", len(differences), check.pk)
            events.stock_discrepancy(
                warehouse_code="",
                source=f"stock check {check.pk}",
                count=len(differences),
                detail="; ".join(
                    f"{d['warehouse_code']}/{d['sku']}: on hand {d['on_hand']} vs ledger {d['ledger']},"
                    f" reserved {d['reserved']} vs reservations {d['reservations']}"
                    for d in differences[:10]
                ),
                actor=actor,
            )
    return check
