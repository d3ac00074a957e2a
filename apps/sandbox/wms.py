"""The sandbox warehouse management system (WMS): what it does with orders, stock, advance
shipping notices (ASNs) and receipts, shared by its HTTP API (`wms_views`) and its simulation
(`wms_simulation`, run by beat).

Every write that a caller can observe through `changes since cursor` or a stock snapshot takes
the warehouse's row lock first: changes then get their cursors in commit order (a reader never
sees cursor 7 before cursor 6 exists), and a snapshot's `taken_at` falls cleanly between the
shipments it includes and those it does not.
"""

import base64
import random
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from apps.sandbox.models import (
    SandboxAsn,
    SandboxReceipt,
    SandboxStock,
    SandboxStockSnapshot,
    SandboxStockSnapshotItem,
    SandboxWarehouse,
    SandboxWmsChange,
    SandboxWmsOrder,
    SandboxWmsWebhook,
)

RECEIVED, PICKING, PACKED = "received", "picking", "packed"
SHIPPED, PARTIALLY_SHIPPED, CANCELLED, REJECTED = "shipped", "partially_shipped", "cancelled", "rejected"
FINAL = (SHIPPED, PARTIALLY_SHIPPED, CANCELLED, REJECTED)
ADDRESS_FIELDS = ("name", "company", "street1", "street2", "city", "state", "postcode", "country", "phone", "email")
UNIT_WEIGHT_KG = 0.4
SNAPSHOT_KEEP = timedelta(hours=1)
MAX_PAGE_SIZE = 5000


class Invalid(ValueError):
    """A request the WMS refuses (answered 400/422 with the message)."""


class NotCancellable(Exception):
    """The order left `received`: the pickers have it."""


@dataclass(frozen=True)
class Page:
    items: list[dict]
    next_cursor: str
    has_more: bool


def warehouse_get(code: str) -> SandboxWarehouse:
    warehouse, _ = SandboxWarehouse.objects.get_or_create(
        code=code,
        defaults={
            "latency_ms": settings.SANDBOX_LATENCY_MS,
            "error_rate": settings.SANDBOX_ERROR_RATE,
            "timeout_rate": settings.SANDBOX_TIMEOUT_RATE,
            "lost_reply_rate": settings.SANDBOX_WMS_LOST_REPLY_RATE,
            "short_pick_rate": settings.SANDBOX_WMS_SHORT_PICK_RATE,
            "drift_rate": settings.SANDBOX_WMS_DRIFT_RATE,
            "webhook_url": (
                settings.SANDBOX_WMS_WEBHOOK_URL.format(code=code) if settings.SANDBOX_WMS_WEBHOOK_URL else ""
            ),
            "webhook_secret": settings.SANDBOX_WEBHOOK_SECRET,
        },
    )
    return warehouse


def _locked(code: str) -> SandboxWarehouse:
    warehouse_get(code)
    return SandboxWarehouse.objects.select_for_update().get(code=code)


def order_json(order: SandboxWmsOrder) -> dict:
    return {
        "warehouse_code": order.warehouse_code,
        "external_reference": order.external_reference,
        "wms_order_id": order.wms_order_id,
        "stage": order.stage,
        "lines": order.lines,
        "parcels": order.parcels,
        "sequence": order.sequence,
        "changed_at": order.stage_changed_at.isoformat(),
        "create_attempts": order.create_attempts,
    }


def _record_change(warehouse: SandboxWarehouse, order: SandboxWmsOrder) -> None:
    """Number the order's new state with the warehouse's next cursor and owe a webhook for it.
    The caller holds the warehouse's row lock."""
    warehouse.last_cursor += 1
    warehouse.save(update_fields=["last_cursor"])
    payload = order_json(order)
    SandboxWmsChange.objects.create(
        warehouse_code=warehouse.code, cursor=warehouse.last_cursor, order=order, payload=payload
    )
    SandboxWmsWebhook.objects.create(
        warehouse_code=warehouse.code, payload={"type": "order", "warehouse_code": warehouse.code, "order": payload}
    )


def _reference(value) -> str:
    reference = _text(value, "external_reference")
    if "/" in reference or reference.strip() != reference:
        # It is part of the order's URL (orders/<reference>/): a slash would make it unreachable.
        raise Invalid("external_reference must not contain '/' or surrounding spaces")
    return reference


def _positive_int(value, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise Invalid(f"{what} must be a positive whole number")
    return value


def _text(value, what: str, *, max_length: int = 100, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > max_length:
        raise Invalid(f"{what} must be text of 1 to {max_length} characters")
    return value


def _order_lines(raw) -> list[dict]:
    if not isinstance(raw, list) or not raw or len(raw) > 500:
        raise Invalid("lines must be a list of 1 to 500 {sku, quantity}")
    lines = []
    for line in raw:
        if not isinstance(line, dict):
            raise Invalid("each line must be {sku, quantity}")
        sku = _text(line.get("sku"), "sku", max_length=64)
        quantity = _positive_int(line.get("quantity"), "quantity")
        lines.append({"sku": sku, "ordered": quantity, "shipped": 0, "short": 0})
    return lines


def _date(raw, what: str) -> date | None:
    if raw in (None, ""):
        return None
    try:
        return date.fromisoformat(raw)
    except (TypeError, ValueError) as exc:
        raise Invalid(f"{what} must be a date (YYYY-MM-DD)") from exc


def order_create(code: str, body) -> tuple[SandboxWmsOrder, bool]:
    """Take an order, or count one more attempt at an order it already has (same reference)."""
    if not isinstance(body, dict):
        raise Invalid("send a JSON object")
    reference = _reference(body.get("external_reference"))
    lines = _order_lines(body.get("lines"))
    ship_to = body.get("ship_to")
    if not isinstance(ship_to, dict) or not all(isinstance(ship_to.get(f, ""), str) for f in ADDRESS_FIELDS):
        raise Invalid(f"ship_to must be an object of text fields {', '.join(ADDRESS_FIELDS)}")
    ship_by = _date(body.get("ship_by"), "ship_by")
    request = {
        "ship_to": {f: ship_to.get(f, "") for f in ADDRESS_FIELDS},
        "ship_by": ship_by.isoformat() if ship_by else None,
    }
    with transaction.atomic():
        warehouse = _locked(code)
        existing = SandboxWmsOrder.objects.filter(warehouse_code=code, external_reference=reference).first()
        if existing is not None:
            existing.create_attempts += 1
            existing.save(update_fields=["create_attempts"])
            return existing, False
        now = timezone.now()
        order = SandboxWmsOrder.objects.create(
            warehouse_code=code,
            external_reference=reference,
            request=request,
            lines=lines,
            created_at=now,
            stage_changed_at=now,
        )
        _record_change(warehouse, order)
    return order, True


def order_get(code: str, reference: str) -> SandboxWmsOrder | None:
    return SandboxWmsOrder.objects.filter(warehouse_code=code, external_reference=reference).first()


def order_cancel(code: str, reference: str) -> SandboxWmsOrder | None:
    """Cancel an order the pickers have not started on; None when there is no such order."""
    with transaction.atomic():
        warehouse = _locked(code)
        order = SandboxWmsOrder.objects.select_for_update().filter(warehouse_code=code, external_reference=reference)
        order = order.first()
        if order is None or order.stage == CANCELLED:
            return order
        if order.stage != RECEIVED:
            raise NotCancellable(f"too late to cancel: the order is {order.stage.replace('_', ' ')}")
        _move(warehouse, order, CANCELLED, timezone.now())
    return order


def _move(warehouse: SandboxWarehouse, order: SandboxWmsOrder, stage: str, now) -> None:
    order.stage = stage
    order.sequence += 1
    order.stage_changed_at = now
    order.save()
    _record_change(warehouse, order)


def _pick(warehouse: SandboxWarehouse, order: SandboxWmsOrder) -> None:
    """Decide what can be picked: what the shelves hold, less the lines the knob shorts."""
    on_hand = dict(
        SandboxStock.objects.filter(
            warehouse_code=order.warehouse_code, sku__in=[line["sku"] for line in order.lines]
        ).values_list("sku", "on_hand")
    )
    for line in order.lines:
        available = max(on_hand.get(line["sku"], 0), 0)
        picked = min(line["ordered"], available)
        if picked and warehouse.short_pick_rate and random.random() < warehouse.short_pick_rate:
            picked -= random.randint(1, picked)
        on_hand[line["sku"]] = available - picked
        line["short"] = line["ordered"] - picked
    units = sum(line["ordered"] - line["short"] for line in order.lines)
    if units:
        order.parcels = [
            {
                "weight_kg": f"{units * UNIT_WEIGHT_KG:.3f}",
                "length_cm": "30.0",
                "width_cm": "20.0",
                "height_cm": f"{min(10 + 5 * units, 60):.1f}",
            }
        ]


def _ship(order: SandboxWmsOrder) -> str:
    for line in order.lines:
        line["shipped"] = line["ordered"] - line["short"]
        if line["shipped"]:
            SandboxStock.objects.filter(warehouse_code=order.warehouse_code, sku=line["sku"]).update(
                on_hand=Greatest(F("on_hand") - line["shipped"], 0)
            )
    return PARTIALLY_SHIPPED if any(line["short"] for line in order.lines) else SHIPPED


def order_advance(code: str, reference: str) -> SandboxWmsOrder | None:
    """Move an order one stage on now (the simulation's step; tests and demos call it directly)."""
    with transaction.atomic():
        warehouse = _locked(code)
        # Timed under the lock: a snapshot taken before this shipment has an earlier `taken_at`,
        # one taken after it a later one (the platform counts shipments by that comparison).
        now = timezone.now()
        order = SandboxWmsOrder.objects.select_for_update().filter(warehouse_code=code, external_reference=reference)
        order = order.first()
        if order is None or order.stage in FINAL:
            return order
        if order.stage == RECEIVED:
            _move(warehouse, order, PICKING, now)
        elif order.stage == PICKING:
            _pick(warehouse, order)
            nothing = all(line["short"] == line["ordered"] for line in order.lines)
            _move(warehouse, order, REJECTED if nothing else PACKED, now)
        else:
            _move(warehouse, order, _ship(order), now)
    return order


def advance_due_orders(*, now=None, limit: int = 500) -> int:
    """Move every order whose time in its stage is up one stage on; return how many moved."""
    now = now or timezone.now()
    moved = 0
    for warehouse in SandboxWarehouse.objects.all():
        seconds = settings.SANDBOX_WMS_STAGE_SECONDS if warehouse.stage_seconds is None else warehouse.stage_seconds
        due = SandboxWmsOrder.objects.filter(
            warehouse_code=warehouse.code, stage__in=[RECEIVED, PICKING, PACKED]
        ).filter(stage_changed_at__lte=now - timedelta(seconds=seconds))
        for reference in due.order_by("stage_changed_at").values_list("external_reference", flat=True)[:limit]:
            order_advance(warehouse.code, reference)
            moved += 1
    return moved


def _cursor(raw: str) -> int:
    if raw in (None, ""):
        return 0
    if not raw.isdigit():
        raise Invalid("cursor must be one this WMS gave out")
    return int(raw)


def changes_list(code: str, cursor: str, *, limit: int = 100) -> Page:
    """Changes after `cursor`, oldest first: each order's state after each of its changes."""
    after = _cursor(cursor)
    limit = max(1, min(limit, 1000))
    rows = list(
        SandboxWmsChange.objects.filter(warehouse_code=code, cursor__gt=after)
        .order_by("cursor")
        .values_list("cursor", "payload")[: limit + 1]
    )
    page = rows[:limit]
    items = [{"cursor": str(c), "order": payload} for c, payload in page]
    return Page(items=items, next_cursor=str(page[-1][0]) if page else str(after), has_more=len(rows) > limit)


def stock_set(code: str, items) -> int:
    """Set on-hand per SKU (seeding, corrections); return how many SKUs were written."""
    if not isinstance(items, list) or len(items) > 10_000:
        raise Invalid("items must be a list of at most 10000 {sku, on_hand}")
    rows = {}
    for item in items:
        if not isinstance(item, dict):
            raise Invalid("each item must be {sku, on_hand}")
        on_hand = item.get("on_hand")
        if isinstance(on_hand, bool) or not isinstance(on_hand, int) or on_hand < 0:
            raise Invalid("on_hand must be a whole number, 0 or more")
        rows[_text(item.get("sku"), "sku", max_length=64)] = on_hand
    with transaction.atomic():
        _locked(code)
        SandboxStock.objects.bulk_create(
            [SandboxStock(warehouse_code=code, sku=sku, on_hand=on_hand) for sku, on_hand in rows.items()],
            update_conflicts=True,
            unique_fields=["warehouse_code", "sku"],
            update_fields=["on_hand"],
        )
    return len(rows)


def stock_generate(code: str, *, count: int, prefix: str, on_hand: int) -> int:
    """Give the warehouse `count` SKUs named `<prefix>000001`... each with `on_hand` units (the
    large-snapshot benchmark); one statement, so 100,000 SKUs take a second or two."""
    with transaction.atomic():
        _locked(code)
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                INSERT INTO {SandboxStock._meta.db_table} (warehouse_code, sku, on_hand)
                SELECT %s, %s || lpad(g::text, 6, '0'), %s FROM generate_series(1, %s) AS g
                ON CONFLICT (warehouse_code, sku) DO UPDATE SET on_hand = EXCLUDED.on_hand
                """,  # noqa: S608 - the table name is ours, the values are parameters
                [code, prefix, on_hand, count],
            )
    return count


def stock_drift(warehouse: SandboxWarehouse) -> int:
    """Nudge a share of the warehouse's SKUs by one or two units: the miscounts, breakage and
    found items that make a real WMS's figures wander from the platform's."""
    if not warehouse.drift_rate:
        return 0
    with transaction.atomic():
        _locked(warehouse.code)
        stock = SandboxStock.objects.filter(warehouse_code=warehouse.code)
        count = round(stock.count() * min(warehouse.drift_rate, 1.0))
        if not count and random.random() < warehouse.drift_rate:
            count = 1
        ids = list(stock.order_by("?").values_list("id", flat=True)[:count])
        by_delta: dict[int, list[int]] = {}
        for stock_id in ids:
            by_delta.setdefault(random.choice((-2, -1, 1, 2)), []).append(stock_id)
        for delta, chosen in by_delta.items():
            SandboxStock.objects.filter(id__in=chosen).update(on_hand=Greatest(F("on_hand") + delta, 0))
    return len(ids)


def _token(snapshot_id: int, after_sku: str) -> str:
    return base64.urlsafe_b64encode(f"{snapshot_id}:{after_sku}".encode()).decode()


def _untoken(token: str) -> tuple[int, str]:
    try:
        snapshot_id, after_sku = base64.urlsafe_b64decode(token.encode()).decode().split(":", 1)
        return int(snapshot_id), after_sku
    except (ValueError, UnicodeError) as exc:
        raise Invalid("page must be a token this WMS gave out") from exc


def snapshot_take(code: str) -> SandboxStockSnapshot:
    """Copy the warehouse's stock as it stands now; older copies than SNAPSHOT_KEEP go."""
    SandboxStockSnapshot.objects.filter(taken_at__lt=timezone.now() - SNAPSHOT_KEEP).delete()
    with transaction.atomic():
        _locked(code)
        snapshot = SandboxStockSnapshot.objects.create(warehouse_code=code, taken_at=timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                INSERT INTO {SandboxStockSnapshotItem._meta.db_table} (snapshot_id, sku, on_hand)
                SELECT %s, sku, on_hand FROM {SandboxStock._meta.db_table} WHERE warehouse_code = %s
                """,  # noqa: S608 - table names are ours, the values are parameters
                [snapshot.pk, code],
            )
    return snapshot


class SnapshotGone(Exception):
    """The page token names a snapshot that has been cleared: start again."""


def snapshot_page(code: str, token: str | None, *, page_size: int = 1000) -> dict:
    """One page of a stock snapshot: the first page takes a new one, the token names the next."""
    page_size = max(1, min(page_size, MAX_PAGE_SIZE))
    if token:
        snapshot_id, after_sku = _untoken(token)
        snapshot = SandboxStockSnapshot.objects.filter(pk=snapshot_id, warehouse_code=code).first()
        if snapshot is None:
            raise SnapshotGone("this snapshot has expired; take a new one")
    else:
        snapshot, after_sku = snapshot_take(code), ""
    rows = list(
        SandboxStockSnapshotItem.objects.filter(snapshot=snapshot, sku__gt=after_sku)
        .order_by("sku")
        .values_list("sku", "on_hand")[: page_size + 1]
    )
    page = rows[:page_size]
    return {
        "snapshot_id": str(snapshot.pk),
        "taken_at": snapshot.taken_at.isoformat(),
        "items": [{"sku": sku, "on_hand": on_hand} for sku, on_hand in page],
        "next_page": _token(snapshot.pk, page[-1][0]) if len(rows) > page_size else None,
    }


def asn_json(asn: SandboxAsn) -> dict:
    return {
        "external_reference": asn.external_reference,
        "lines": asn.lines,
        "expected_at": asn.expected_at.isoformat() if asn.expected_at else None,
        "create_attempts": asn.create_attempts,
        "receipts": [receipt_json(r) for r in asn.receipts.order_by("id")],
    }


def asn_create(code: str, body) -> tuple[SandboxAsn, bool]:
    if not isinstance(body, dict):
        raise Invalid("send a JSON object")
    reference = _reference(body.get("external_reference"))
    raw = body.get("lines")
    if not isinstance(raw, list) or not raw or len(raw) > 1000:
        raise Invalid("lines must be a list of 1 to 1000 {sku, expected}")
    lines = []
    for line in raw:
        if not isinstance(line, dict):
            raise Invalid("each line must be {sku, expected}")
        lines.append(
            {
                "sku": _text(line.get("sku"), "sku", max_length=64),
                "expected": _positive_int(line.get("expected"), "expected"),
            }
        )
    expected_at = _date(body.get("expected_at"), "expected_at")
    with transaction.atomic():
        _locked(code)
        existing = SandboxAsn.objects.filter(warehouse_code=code, external_reference=reference).first()
        if existing is not None:
            existing.create_attempts += 1
            existing.save(update_fields=["create_attempts"])
            return existing, False
        asn = SandboxAsn.objects.create(
            warehouse_code=code,
            external_reference=reference,
            lines=lines,
            expected_at=expected_at,
            created_at=timezone.now(),
        )
    return asn, True


def receipt_json(receipt: SandboxReceipt) -> dict:
    return {
        "receipt_id": receipt.receipt_id,
        "asn_reference": receipt.asn.external_reference,
        "lines": receipt.lines,
        "received_at": receipt.received_at.isoformat(),
    }


def asn_receive(code: str, reference: str, body) -> SandboxReceipt | None:
    """The goods of an ASN arrive: `lines` of {sku, accepted, damaged} say what the dock counted
    (more than expected, less, or damaged); without lines everything expected is accepted.
    Accepted units go on the shelves; the receipt goes out as a webhook. None: no such ASN."""
    raw = body.get("lines") if isinstance(body, dict) else None
    with transaction.atomic():
        _locked(code)
        asn = SandboxAsn.objects.filter(warehouse_code=code, external_reference=reference).first()
        if asn is None:
            return None
        if raw is None:
            lines = [{"sku": line["sku"], "accepted": line["expected"], "damaged": 0} for line in asn.lines]
        else:
            if not isinstance(raw, list) or not raw:
                raise Invalid("lines must be a list of {sku, accepted, damaged}")
            lines = []
            for line in raw:
                if not isinstance(line, dict):
                    raise Invalid("each line must be {sku, accepted, damaged}")
                counts = [line.get("accepted", 0), line.get("damaged", 0)]
                if any(isinstance(n, bool) or not isinstance(n, int) or n < 0 for n in counts):
                    raise Invalid("accepted and damaged must be whole numbers, 0 or more")
                lines.append(
                    {"sku": _text(line.get("sku"), "sku", max_length=64), "accepted": counts[0], "damaged": counts[1]}
                )
        receipt = SandboxReceipt.objects.create(asn=asn, lines=lines, received_at=timezone.now())
        for line in lines:
            if line["accepted"]:
                stock, _ = SandboxStock.objects.get_or_create(warehouse_code=code, sku=line["sku"])
                SandboxStock.objects.filter(pk=stock.pk).update(on_hand=F("on_hand") + line["accepted"])
        SandboxWmsWebhook.objects.create(
            warehouse_code=code, payload={"type": "receipt", "warehouse_code": code, "receipt": receipt_json(receipt)}
        )
    return receipt
