"""Reads of the warehouse center: stock available per warehouse (for routing), stock lists and
positions (with what open ASNs still bring), warehouse orders with their history, and ASNs."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import F, Prefetch, Q, QuerySet, Sum, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from apps.common.stuck import StuckGroup, stuck_groups
from apps.warehouse.exceptions import AsnNotFound, WarehouseOrderNotFound
from apps.warehouse.models import (
    AT_WMS,
    FINAL,
    Asn,
    AsnLine,
    ReconciliationReport,
    Stock,
    WarehouseOrder,
    WarehouseOrderLine,
    WarehouseOrderState,
    WarehouseOrderTransition,
    WmsCall,
)


def stock_available(*, merchant_id: int, skus: Iterable[str]) -> dict[str, dict[str, int]]:
    """{warehouse_code: {sku: available}} for a merchant's SKUs, in one query; a SKU with nothing
    available in a warehouse is left out of it."""
    found: dict[str, dict[str, int]] = defaultdict(dict)
    rows = (
        Stock.objects.filter(merchant_id=merchant_id, sku__in=list(skus), on_hand__gt=F("reserved"))
        .annotate(free=F("on_hand") - F("reserved"))
        .values_list("warehouse_code", "sku", "free")
    )
    for warehouse_code, sku, available in rows:
        found[warehouse_code][sku] = available
    return dict(found)


def stock_list(
    *,
    merchant_id: int,
    warehouse_code: str | None = None,
    sku: str | None = None,
    changed_since: datetime | None = None,
) -> QuerySet[Stock]:
    stock = Stock.objects.filter(merchant_id=merchant_id)
    if warehouse_code:
        stock = stock.filter(warehouse_code=warehouse_code)
    if sku:
        stock = stock.filter(sku=sku)
    if changed_since:
        stock = stock.filter(updated_at__gt=changed_since)
    return stock.order_by("warehouse_code", "sku")


def warehouse_order_get(*, warehouse_order_id: int, merchant_id: int | None = None) -> WarehouseOrder:
    """A warehouse order with its lines (and, given a merchant, only that merchant's)."""
    orders = WarehouseOrder.objects.prefetch_related(
        Prefetch("lines", queryset=WarehouseOrderLine.objects.order_by("id"))
    )
    if merchant_id is not None:
        orders = orders.filter(merchant_id=merchant_id)
    warehouse_order = orders.filter(pk=warehouse_order_id).first()
    if warehouse_order is None:
        raise WarehouseOrderNotFound(
            f"Warehouse order {warehouse_order_id} does not exist.", extra={"warehouse_order_id": warehouse_order_id}
        )
    return warehouse_order


def warehouse_order_list(*, order_id: int) -> QuerySet[WarehouseOrder]:
    """An order's warehouse orders (a short-shipped one's remainder included), oldest first."""
    return WarehouseOrder.objects.filter(order_id=order_id).prefetch_related("lines").order_by("id")


def asn_get(*, asn_id: int, merchant_id: int | None = None) -> Asn:
    asns = Asn.objects.prefetch_related("lines", "discrepancies", "receipts")
    if merchant_id is not None:
        asns = asns.filter(merchant_id=merchant_id)
    asn = asns.filter(pk=asn_id).first()
    if asn is None:
        raise AsnNotFound(f"ASN {asn_id} does not exist.", extra={"asn_id": asn_id})
    return asn


def asn_list(*, merchant_id: int, warehouse_code: str | None = None) -> QuerySet[Asn]:
    asns = Asn.objects.filter(merchant_id=merchant_id)
    if warehouse_code:
        asns = asns.filter(warehouse_code=warehouse_code)
    return asns.order_by("-created_at")


@dataclass(frozen=True)
class StockPosition:
    """A merchant's SKU at one warehouse as the merchant sees it: what can be promised
    (available), what orders hold (reserved), and what open ASNs still bring (inbound)."""

    warehouse_code: str
    sku: str
    on_hand: int
    reserved: int
    available: int
    inbound: int
    updated_at: datetime | None


def stock_inbound(
    *, merchant_id: int, warehouse_code: str | None = None, sku: str | None = None
) -> dict[tuple[str, str], int]:
    """{(warehouse_code, sku): units} still expected in the merchant's open ASNs: expected less
    what arrived (accepted or damaged), never below zero; closed ASNs bring nothing more."""
    lines = AsnLine.objects.filter(asn__merchant_id=merchant_id).exclude(asn__status=Asn.Status.CLOSED)
    if warehouse_code:
        lines = lines.filter(asn__warehouse_code=warehouse_code)
    if sku:
        lines = lines.filter(sku=sku)
    outstanding = Greatest(F("expected") - F("accepted") - F("damaged"), Value(0))
    rows = (
        lines.annotate(outstanding=outstanding)
        .values("asn__warehouse_code", "sku")
        .annotate(units=Sum("outstanding"))
        .filter(units__gt=0)
    )
    return {(row["asn__warehouse_code"], row["sku"]): row["units"] for row in rows}


def _position(row: Stock, inbound: dict[tuple[str, str], int]) -> StockPosition:
    return StockPosition(
        warehouse_code=row.warehouse_code,
        sku=row.sku,
        on_hand=row.on_hand,
        reserved=row.reserved,
        available=row.available,
        inbound=inbound.get((row.warehouse_code, row.sku), 0),
        updated_at=row.updated_at,
    )


def stock_positions(
    *, merchant_id: int, warehouse_code: str | None = None, sku: str | None = None, limit: int | None = None
) -> tuple[list[StockPosition], int]:
    """The merchant's SKUs per warehouse (or one warehouse, one SKU), on the shelves or on their
    way, by warehouse and SKU: the first `limit` (all without one) and how many there are in all.
    Open ASNs are few, so their SKUs are read whole; stock rows only as far as `limit` (at most
    four queries however many SKUs)."""
    inbound = stock_inbound(merchant_id=merchant_id, warehouse_code=warehouse_code, sku=sku)
    rows = stock_list(merchant_id=merchant_id, warehouse_code=warehouse_code, sku=sku)
    positions = {(row.warehouse_code, row.sku): _position(row, inbound) for row in (rows[:limit] if limit else rows)}
    total = len(positions) if not limit or len(positions) < limit else rows.count()
    if missing := [key for key in inbound if key not in positions]:
        # On their way: some may have stock rows past the limit; the others are only inbound.
        held = stock_list(merchant_id=merchant_id, warehouse_code=warehouse_code, sku=sku).filter(
            sku__in={sku for _, sku in missing}
        )
        found = {(row.warehouse_code, row.sku): row for row in held if (row.warehouse_code, row.sku) in inbound}
        for key in missing:
            if key in found:
                positions[key] = _position(found[key], inbound)
            else:
                positions[key] = StockPosition(key[0], key[1], 0, 0, 0, inbound[key], None)
                total += 1
    ordered = [positions[key] for key in sorted(positions)]
    return (ordered[:limit] if limit else ordered), total


def warehouses_to_poll() -> list[str]:
    """Warehouses with orders at their WMS or ASNs announced and not closed: their news is due (a
    webhook may have been lost)."""
    at_wms = WarehouseOrder.objects.filter(state__in=AT_WMS).values_list("warehouse_code", flat=True).distinct()
    receiving = (
        Asn.objects.filter(status__in=[Asn.Status.ANNOUNCED, Asn.Status.RECEIVING])
        .values_list("warehouse_code", flat=True)
        .distinct()
    )
    return sorted(set(at_wms) | set(receiving))


def asns_receiving(*, warehouse_code: str) -> list[int]:
    """ASNs announced to the warehouse's WMS and not closed: their receipts may come."""
    return list(
        Asn.objects.filter(
            warehouse_code=warehouse_code, status__in=[Asn.Status.ANNOUNCED, Asn.Status.RECEIVING]
        ).values_list("pk", flat=True)
    )


def warehouse_snapshot_due(*, warehouse_code: str, older_than: datetime) -> bool:
    """Whether the warehouse's stock was last reconciled before `older_than` (or never)."""
    return not ReconciliationReport.objects.filter(warehouse_code=warehouse_code, created_at__gte=older_than).exists()


def warehouse_orders_reserved_at_intake(*, order_id: int) -> list[WarehouseOrder]:
    """The warehouse orders intake made for an order and its plan has not taken over yet (drafts
    holding their reservations), by warehouse code."""
    return list(
        WarehouseOrder.objects.filter(order_id=order_id, state=WarehouseOrderState.DRAFT).order_by(
            "warehouse_code", "id"
        )
    )


def warehouse_history_for_order(*, order_id: int) -> list[WarehouseOrderTransition]:
    """Every step of an order's warehouse orders, oldest first (for the order's timeline)."""
    return list(
        WarehouseOrderTransition.objects.filter(warehouse_order__order_id=order_id)
        .select_related("warehouse_order")
        .order_by("occurred_at", "id")
    )


WAREHOUSE_STATE_LABELS = dict(WarehouseOrderState.choices)


def warehouse_orders_late(*, today: date) -> QuerySet[WarehouseOrder]:
    """Warehouse orders whose ship-by day has passed without their goods leaving (for operations)."""
    open_states = [state for state in WarehouseOrderState.values if state not in FINAL]
    return WarehouseOrder.objects.filter(ship_by__lt=today, state__in=open_states).order_by("ship_by", "id")


def warehouse_orders_stuck(*, older_than: timedelta, sample: int = 10) -> list[StuckGroup]:
    """Warehouse orders that have not moved for `older_than` while still open, by reason."""
    bound = timezone.now() - older_than
    S = WarehouseOrderState
    return stuck_groups(
        center="warehouse",
        kind="warehouse_order",
        queryset=WarehouseOrder.objects.filter(updated_at__lt=bound).exclude(state__in=FINAL),
        reasons=[
            ("allocated, not sent to the WMS", Q(state=S.ALLOCATED)),
            ("sent to the WMS, no answer", Q(state=S.SUBMITTED)),
            ("cancel asked of the WMS, no answer", Q(state=S.CANCEL_REQUESTED)),
            ("at the WMS, no news", Q(state__in=[S.ACCEPTED, S.PICKING, S.PACKED, S.PARTIALLY_SHIPPED])),
            ("backordered, waiting for stock", Q(state=S.BACKORDERED)),
            ("on hold", Q(state=S.ON_HOLD)),
        ],
        since_field="updated_at",
        detail=lambda w: (
            f"{w.external_reference} at {w.warehouse_code}, {w.state}" + (f": {w.last_error}" if w.last_error else "")
        ),
        sample=sample,
    )


def wms_calls_for_orders(*, warehouse_order_ids: list[int], limit: int = 200) -> QuerySet[WmsCall]:
    """The calls made to WMSs for these warehouse orders, newest first (one query)."""
    return WmsCall.objects.filter(warehouse_order_id__in=warehouse_order_ids).order_by("-created_at", "-id")[:limit]
