"""Warehouse orders at the WMS: submitting, asking for a cancel, and following the WMS's news.

News comes three ways (webhook, polled changes, the answer to a submit) and goes through one
function, `warehouse_apply_wms_order`: news at or below the order's applied sequence is stale or a
duplicate and changes nothing; newer news moves the order forward only (never back down the WMS's
stages), counts shipped units once (line totals are cumulative, only the increase is consumed),
and at the end releases what was not shipped and applies the order's partial-fulfilment policy.

The calls (`warehouse_order_submit`, `warehouse_order_request_cancel`, `warehouse_poll_changes`)
hold no lock while the WMS answers, are safe to repeat (the same external reference `WO-<id>`
every time) and let `WmsUnavailable` go up for the caller's lane to retry later.
"""

import contextlib
import logging
import re
from collections import defaultdict
from collections.abc import Mapping
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.common.fsm import forward_path
from apps.warehouse import events
from apps.warehouse.exceptions import WarehouseCallDeferred
from apps.warehouse.models import (
    FINAL,
    WMS_RANK,
    WMS_TRANSITIONS,
    PartialFulfilment,
    WarehouseOrder,
    WarehouseOrderLine,
    WmsCursor,
)
from apps.warehouse.services.shared import ACTOR, S, gateway, locked, take_and_announce
from apps.warehouse.services.stock import apply_stock_changes, consume_shipped, release_lines
from apps.warehouse.wms import WmsRefused, WmsUnavailable
from apps.warehouse.wms.types import (
    Receipt,
    WmsAddress,
    WmsOrder,
    WmsOrderLine,
    WmsOrderRequest,
    WmsStage,
)

logger = logging.getLogger(__name__)

_REFERENCE = re.compile(r"^WO-(\d{1,19})$")
STATE_OF_STAGE = {
    WmsStage.RECEIVED: S.ACCEPTED,
    WmsStage.PICKING: S.PICKING,
    WmsStage.PACKED: S.PACKED,
    WmsStage.PARTIALLY_SHIPPED: S.PARTIALLY_SHIPPED,
    WmsStage.SHIPPED: S.SHIPPED,
    WmsStage.CANCELLED: S.CANCELLED,
    WmsStage.REJECTED: S.REJECTED,
}
# How long a create call may take at most (the gateway's attempts, each with its timeout, and its
# look-ups by reference), for a cancel to wait out a submit that may still reach the WMS.
SUBMIT_LEASE_SECONDS = 6 * settings.WMS_HTTP_TIMEOUT_SECONDS + 5


def _request(warehouse_order: WarehouseOrder) -> WmsOrderRequest:
    address = warehouse_order.ship_to
    return WmsOrderRequest(
        external_reference=warehouse_order.external_reference,
        warehouse_code=warehouse_order.warehouse_code,
        lines=tuple(
            WmsOrderLine(sku=line.sku, quantity=line.ordered - line.cancelled)
            for line in warehouse_order.lines.all()
            if line.ordered > line.cancelled
        ),
        ship_to=WmsAddress(**{key: address.get(key, "") for key in WmsAddress.__dataclass_fields__}),
        ship_by=warehouse_order.ship_by,
    )


def warehouse_order_submit(*, warehouse_order_id: int) -> WarehouseOrder:
    """Send an allocated order to its WMS (again, if a previous try did not hear back).

    Marks it `submitted` first, then calls the WMS outside the transaction. The WMS's answer is
    applied as news; a refusal rejects the order and releases its stock. Raises WmsUnavailable for
    the caller to retry: the order stays `submitted` and the retry sends the same reference."""
    with transaction.atomic():
        warehouse_order = locked(warehouse_order_id)
        if warehouse_order.state == S.ALLOCATED:
            take_and_announce(warehouse_order, "submit", reason="sent to the WMS")
        elif warehouse_order.state != S.SUBMITTED:
            return warehouse_order
        request = _request(warehouse_order)
        warehouse_order.submitting_until = timezone.now() + timedelta(seconds=SUBMIT_LEASE_SECONDS)
        warehouse_order.save(update_fields=["submitting_until", "updated_at"])
    code = warehouse_order.warehouse_code
    try:
        wms_order = gateway(
            code, warehouse_order_id=warehouse_order.pk, reference=request.external_reference
        ).create_order(request)
    except WmsRefused as exc:
        WarehouseOrder.objects.filter(pk=warehouse_order_id).update(submitting_until=None)
        with transaction.atomic():
            warehouse_order = locked(warehouse_order_id)
            if warehouse_order.state in (S.SUBMITTED, S.CANCEL_REQUESTED):
                warehouse_order.last_error = exc.reason[:500]
                take_and_announce(warehouse_order, "reject", actor=f"wms:{code}", reason=exc.reason)
                _close(warehouse_order)
        return warehouse_order
    return warehouse_apply_wms_order(warehouse_code=code, wms_order=wms_order) or warehouse_order


def warehouse_order_request_cancel(*, warehouse_order_id: int) -> WarehouseOrder:
    """Ask the WMS to cancel an order in `cancel_requested`; harmless to repeat.

    Accepted: the order is cancelled and its stock released. Refused (picking started): the
    order goes back to following the WMS, with the WMS's reason in its history. An order the WMS
    never received is cancelled here. Raises WmsUnavailable for the caller to retry."""
    warehouse_order = WarehouseOrder.objects.get(pk=warehouse_order_id)
    if warehouse_order.state != S.CANCEL_REQUESTED:
        return warehouse_order
    code, reference = warehouse_order.warehouse_code, warehouse_order.external_reference
    wms = gateway(code, warehouse_order_id=warehouse_order_id, reference=reference)
    actor = f"wms:{code}"
    if not warehouse_order.wms_order_id:
        found = wms.get_order(reference)
        if found is None:
            if warehouse_order.submitting_until and warehouse_order.submitting_until > timezone.now():
                raise WarehouseCallDeferred(
                    f"{reference}: a submit to the WMS may still be on its way; cancel after it",
                    retry_in=(warehouse_order.submitting_until - timezone.now()).total_seconds(),
                )
            with transaction.atomic():
                warehouse_order = locked(warehouse_order_id)
                if warehouse_order.state == S.CANCEL_REQUESTED:
                    take_and_announce(warehouse_order, "cancel", actor=actor, reason="the WMS never had the order")
                    _close(warehouse_order)
            return warehouse_order
        warehouse_order = warehouse_apply_wms_order(warehouse_code=code, wms_order=found) or warehouse_order
        if warehouse_order.state != S.CANCEL_REQUESTED:
            return warehouse_order
    try:
        outcome = wms.cancel_order(reference)
        accepted, reason = outcome.accepted, outcome.reason
    except WmsRefused as exc:
        accepted, reason = False, exc.reason
    with transaction.atomic():
        warehouse_order = locked(warehouse_order_id)
        if warehouse_order.state != S.CANCEL_REQUESTED:
            return warehouse_order
        if accepted:
            take_and_announce(warehouse_order, "cancel", actor=actor, reason=reason or "cancelled at the WMS")
            _close(warehouse_order)
        else:
            warehouse_order.last_error = f"cancel refused: {reason}"[:500]
            take_and_announce(warehouse_order, "cancel_refused", actor=actor, reason=reason or "cancel refused")
            stage_state = STATE_OF_STAGE.get(warehouse_order.wms_stage)
            if stage_state and stage_state not in FINAL:
                _walk(warehouse_order, stage_state, actor=actor, reason="following the WMS after a refused cancel")
            warehouse_order.save(update_fields=["last_error", "updated_at"])
    if not accepted:
        # The WMS refused because it has moved on: catch up with where it is now.
        with contextlib.suppress(WmsUnavailable):
            found = wms.get_order(reference)
            if found is not None:
                warehouse_order = warehouse_apply_wms_order(warehouse_code=code, wms_order=found) or warehouse_order
    return warehouse_order


def _our_id(external_reference: str) -> int | None:
    match = _REFERENCE.match(external_reference or "")
    return int(match.group(1)) if match else None


def warehouse_apply_wms_order(*, warehouse_code: str, wms_order: WmsOrder) -> WarehouseOrder | None:
    """Apply one piece of WMS news about an order (from a webhook, a poll or a submit's answer).

    Returns the order, or None for a reference that is not one of ours at this warehouse (logged).
    """
    warehouse_order_id = _our_id(wms_order.external_reference)
    if warehouse_order_id is None:
        logger.warning("WMS news from %s about unknown order %r", warehouse_code, wms_order.external_reference)
        return None
    actor = f"wms:{warehouse_code}"
    with transaction.atomic():
        warehouse_order = (
            WarehouseOrder.objects.select_for_update()
            .filter(pk=warehouse_order_id, warehouse_code=warehouse_code)
            .first()
        )
        if warehouse_order is None:
            logger.warning("WMS news from %s about unknown order %r", warehouse_code, wms_order.external_reference)
            return None
        if wms_order.sequence <= warehouse_order.wms_sequence:
            return warehouse_order  # stale or a duplicate: already applied
        if warehouse_order.state in (S.DRAFT, S.ALLOCATED, S.BACKORDERED, S.ON_HOLD):
            logger.warning("WMS news about %s, which was never submitted: ignored", warehouse_order)
            return warehouse_order
        warehouse_order.wms_sequence = wms_order.sequence
        warehouse_order.submitting_until = None
        warehouse_order.wms_order_id = wms_order.wms_order_id[:64]
        warehouse_order.wms_stage = wms_order.stage
        warehouse_order.wms_changed_at = wms_order.changed_at
        parcels = [
            {
                "weight_kg": str(p.weight_kg),
                "length_cm": str(p.length_cm),
                "width_cm": str(p.width_cm),
                "height_cm": str(p.height_cm),
            }
            for p in wms_order.parcels
        ]
        news = parcels != warehouse_order.parcels
        if parcels:
            warehouse_order.parcels = parcels
        if warehouse_order.state not in FINAL:
            news |= _count_shipped(warehouse_order, wms_order, actor=actor)
            version = warehouse_order.version
            _follow(warehouse_order, wms_order, actor=actor)
            news = news and warehouse_order.version == version  # a transition announced it already
        warehouse_order.save()
        if news:
            warehouse_order.version += 1
            warehouse_order.save(update_fields=["version", "updated_at"])
            events.warehouse_order_changed(warehouse_order, actor=actor, reason=f"WMS: {wms_order.stage}")
    return warehouse_order


def _count_shipped(warehouse_order: WarehouseOrder, wms_order: WmsOrder, *, actor: str) -> bool:
    """Raise each line's shipped count to the WMS's (cumulative) total; consume only the increase."""
    shipped_by_sku: dict[str, int] = defaultdict(int)
    for progress in wms_order.lines:
        shipped_by_sku[progress.sku] += max(progress.shipped, 0)
    lines = list(warehouse_order.lines.select_related("warehouse_order"))
    changes: dict[int, tuple[int, int]] = {}
    moved = []
    for sku in sorted({line.sku for line in lines}):
        remaining = shipped_by_sku.get(sku, 0)
        for line in (line for line in lines if line.sku == sku):
            total = min(remaining, line.ordered - line.cancelled)
            remaining -= total
            increase = total - line.shipped
            if increase <= 0:
                continue
            for stock_id, (on_hand, reserved) in consume_shipped(
                line=line,
                units=increase,
                occurred_at=wms_order.changed_at,
                reference=warehouse_order.external_reference,
                actor=actor,
            ).items():
                before = changes.get(stock_id, (0, 0))
                changes[stock_id] = (before[0] + on_hand, before[1] + reserved)
            line.shipped = total
            moved.append(line)
    apply_stock_changes(changes)
    WarehouseOrderLine.objects.bulk_update(moved, ["shipped", "allocated"])
    return bool(moved)


def _target(warehouse_order: WarehouseOrder, wms_order: WmsOrder) -> str:
    lines = list(warehouse_order.lines.all())
    shipped = sum(line.shipped for line in lines)
    complete = all(line.shipped + line.cancelled >= line.ordered for line in lines)
    if wms_order.stage == WmsStage.SHIPPED:
        return S.SHIPPED if complete else S.INCOMPLETE
    if wms_order.stage == WmsStage.CANCELLED and shipped:
        return S.INCOMPLETE
    if wms_order.stage == WmsStage.PACKED and shipped:
        return S.PARTIALLY_SHIPPED
    if (
        wms_order.stage == WmsStage.PARTIALLY_SHIPPED
        and wms_order.lines
        and all(p.shipped + p.short >= p.ordered for p in wms_order.lines)
    ):
        # Every unit is shipped or short: the WMS is done with the order, short.
        return S.SHIPPED if complete else S.INCOMPLETE
    return STATE_OF_STAGE[wms_order.stage]


def _walk(warehouse_order: WarehouseOrder, target: str, *, actor: str, reason: str) -> None:
    for transition, _ in forward_path(
        WarehouseOrder, source=warehouse_order.state, target=target, allowed=WMS_TRANSITIONS
    ):
        take_and_announce(warehouse_order, transition, actor=actor, reason=reason)


def _follow(warehouse_order: WarehouseOrder, wms_order: WmsOrder, *, actor: str) -> None:
    target = _target(warehouse_order, wms_order)
    reason = f"WMS: {wms_order.stage}"
    current = warehouse_order.state
    if target in (S.CANCELLED, S.REJECTED):
        name = "cancel" if target == S.CANCELLED else "reject"
        if name in {t.name for t in warehouse_order.get_available_state_transitions()}:
            take_and_announce(warehouse_order, name, actor=actor, reason=reason)
        else:
            logger.warning("%s: WMS says %s, which the order cannot take from %s", warehouse_order, target, current)
            warehouse_order.last_error = f"WMS said {target} while {current}"
    elif current == S.CANCEL_REQUESTED and target == S.ACCEPTED:
        pass  # the WMS has the order; the requested cancel is still on its way
    elif WMS_RANK[target] > WMS_RANK[current] or (target in FINAL and current not in FINAL):
        _walk(warehouse_order, target, actor=actor, reason=reason)
    if warehouse_order.state in FINAL:
        _close(warehouse_order, actor=actor)
    elif _short_under_all_or_nothing(warehouse_order, wms_order):
        take_and_announce(
            warehouse_order,
            "request_cancel",
            actor=actor,
            reason="short pick of "
            + ", ".join(f"{p.sku} x {p.short}" for p in wms_order.lines if p.short > 0)
            + ": the order ships all or nothing",
        )


def _short_under_all_or_nothing(warehouse_order: WarehouseOrder, wms_order: WmsOrder) -> bool:
    return (
        warehouse_order.policy == PartialFulfilment.ALL_OR_NOTHING
        and warehouse_order.state in (S.ACCEPTED, S.PICKING)
        and any(p.short > 0 for p in wms_order.lines)
        and not any(line.shipped for line in warehouse_order.lines.all())
        and not warehouse_order.history.filter(transition="cancel_refused").exists()
    )


def _close(warehouse_order: WarehouseOrder, *, actor: str = ACTOR) -> None:
    """At the end: release what was not shipped, cancel it on the lines, and keep it backordered
    in a new order when the policy says so."""
    lines = list(warehouse_order.lines.all())
    release_lines(lines)
    leftover = [(line.sku, line.ordered - line.shipped - line.cancelled) for line in lines]
    for line in lines:
        line.cancelled = line.ordered - line.shipped
    WarehouseOrderLine.objects.bulk_update(lines, ["cancelled"])
    leftover = [(sku, qty) for sku, qty in leftover if qty > 0]
    if (
        warehouse_order.state == S.INCOMPLETE
        and warehouse_order.policy == PartialFulfilment.BACKORDER_REST
        and leftover
    ):
        remainder = WarehouseOrder.objects.create(
            order_id=warehouse_order.order_id,
            merchant_id=warehouse_order.merchant_id,
            warehouse_code=warehouse_order.warehouse_code,
            policy=warehouse_order.policy,
            ship_to=warehouse_order.ship_to,
            ship_by=warehouse_order.ship_by,
            backorder_of=warehouse_order,
        )
        WarehouseOrderLine.objects.bulk_create(
            WarehouseOrderLine(warehouse_order=remainder, sku=sku, ordered=qty) for sku, qty in leftover
        )
        take_and_announce(
            remainder,
            "backorder",
            actor=actor,
            reason=f"the rest of {warehouse_order.external_reference}, shipped short",
        )


def warehouse_poll_changes(*, warehouse_code: str, max_pages: int = 20) -> int:
    """Ask the WMS for orders changed since this warehouse's cursor and apply them; return how
    many pieces of news were read. The cursor moves after each page is applied, so a failure
    part way reads the unapplied pages again next time (and applying twice changes nothing)."""
    cursor_row, _ = WmsCursor.objects.get_or_create(warehouse_code=warehouse_code)
    cursor = cursor_row.cursor
    wms = gateway(warehouse_code)
    read = 0
    for _ in range(max_pages):
        page = wms.changes_since(cursor)
        for wms_order in page.orders:
            warehouse_apply_wms_order(warehouse_code=warehouse_code, wms_order=wms_order)
        read += len(page.orders)
        cursor = page.next_cursor
        WmsCursor.objects.filter(pk=cursor_row.pk).update(cursor=cursor, polled_at=timezone.now())
        if not page.has_more:
            break
    return read


def warehouse_wms_webhook_receive(*, warehouse_code: str, body: bytes, headers: Mapping[str, str]) -> str:
    """Verify a WMS webhook and apply its news (an order's progress or an ASN receipt); return
    what it was. Raises InvalidWmsWebhook (nothing kept) and WarehouseNotFound."""
    from apps.warehouse.services.asns import asn_receipt_apply

    news = gateway(warehouse_code).parse_webhook(body, headers)
    if isinstance(news, Receipt):
        asn_receipt_apply(warehouse_code=warehouse_code, receipt=news)
        return "receipt"
    warehouse_apply_wms_order(warehouse_code=warehouse_code, wms_order=news)
    return "order"
