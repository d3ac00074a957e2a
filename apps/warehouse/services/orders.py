"""Warehouse orders before the WMS has them: creating (allocate or backorder in one transaction),
holding, cancelling, and allocating backorders as stock arrives."""

from collections.abc import Sequence
from datetime import date

from django.db import transaction
from django.utils.translation import gettext

from apps.common.fsm import TransitionNotAllowed
from apps.warehouse.exceptions import (
    InvalidWarehouseOrder,
    OutOfStock,
    WarehouseOrderNotCancellable,
    WarehouseOrderNotHoldable,
)
from apps.warehouse.models import (
    BEFORE_WMS,
    FINAL,
    PartialFulfilment,
    WarehouseOrder,
    WarehouseOrderLine,
)
from apps.warehouse.services.shared import ACTOR, S, locked, take_and_announce
from apps.warehouse.services.stock import release_lines, reserve_lines

ADDRESS_FIELDS = ("name", "company", "street1", "street2", "city", "state", "postcode", "country", "phone", "email")
REQUIRED_ADDRESS_FIELDS = ("name", "street1", "city", "postcode", "country")


def _clean_lines(lines: Sequence[tuple[str, int]]) -> list[tuple[str, int]]:
    cleaned, problems = [], []
    for index, line in enumerate(lines):
        try:
            sku, quantity = line
        except (TypeError, ValueError):
            problems.append(f"line {index + 1}: expected (sku, quantity)")
            continue
        if not isinstance(sku, str) or not sku.strip() or len(sku) > 64:
            problems.append(f"line {index + 1}: SKU must be 1 to 64 characters")
        elif not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
            problems.append(f"line {index + 1}: quantity must be a whole number of at least 1")
        else:
            cleaned.append((sku.strip(), quantity))
    if problems or not cleaned:
        raise InvalidWarehouseOrder(
            "The warehouse order's lines are not valid.", extra={"problems": problems or ["no lines"]}
        )
    return cleaned


def _clean_address(ship_to: dict) -> dict:
    address = {key: str(ship_to.get(key) or "").strip() for key in ADDRESS_FIELDS}
    missing = [key for key in REQUIRED_ADDRESS_FIELDS if not address[key]]
    if missing:
        raise InvalidWarehouseOrder("The ship-to address is incomplete.", extra={"missing": missing})
    return address


def _reserve(warehouse_order: WarehouseOrder) -> dict[str, int]:
    """Reserve every line's open units, all or nothing; return what is short ({} if none)."""
    return reserve_lines(
        merchant_id=warehouse_order.merchant_id,
        warehouse_code=warehouse_order.warehouse_code,
        lines=list(warehouse_order.lines.all()),
        owner=f"warehouse order {warehouse_order.pk}",
    )


def _allocate(warehouse_order: WarehouseOrder, *, actor: str, reason: str = "") -> dict[str, int]:
    """Reserve every line's open units and move to allocated; return what is short ({} if none)."""
    short = _reserve(warehouse_order)
    if not short:
        take_and_announce(warehouse_order, "allocate", actor=actor, reason=reason or "stock reserved")
    return short


def warehouse_order_create(
    *,
    order_id: int,
    merchant_id: int,
    warehouse_code: str,
    lines: Sequence[tuple[str, int]],
    ship_to: dict,
    policy: str = PartialFulfilment.CANCEL_REST,
    ship_by: date | None = None,
    allow_backorder: bool = True,
    actor: str = ACTOR,
    reserve_only: bool = False,
) -> WarehouseOrder:
    """Create a warehouse order and reserve its stock, or backorder it, in one transaction.

    With `allow_backorder=False` a shortage raises `OutOfStock` (extra: the units short per SKU)
    and nothing is written. Raises `InvalidWarehouseOrder` for bad lines, address or policy.

    `reserve_only` is intake's: every line reserved in the caller's transaction (the order's), or
    `OutOfStock`; the warehouse order stays a `draft` holding its reservations, and announces
    nothing, until the order's plan confirms it (`warehouse_order_confirm`)."""
    cleaned = _clean_lines(lines)
    address = _clean_address(ship_to)
    if policy not in PartialFulfilment.values:
        raise InvalidWarehouseOrder(f"Unknown partial-fulfilment policy {policy!r}.", extra={"policy": policy})
    with transaction.atomic():
        warehouse_order = WarehouseOrder.objects.create(
            order_id=order_id,
            merchant_id=merchant_id,
            warehouse_code=warehouse_code,
            policy=policy,
            ship_to=address,
            ship_by=ship_by,
        )
        WarehouseOrderLine.objects.bulk_create(
            WarehouseOrderLine(warehouse_order=warehouse_order, sku=sku, ordered=qty) for sku, qty in cleaned
        )
        if reserve_only:
            short = _reserve(warehouse_order)
            if short:
                raise OutOfStock(
                    gettext("Not enough stock at %(warehouse)s for %(skus)s: another order has just taken it.")
                    % {"warehouse": warehouse_code, "skus": ", ".join(sorted(short))},
                    extra={"warehouse_code": warehouse_code, "short": short},
                )
            return warehouse_order
        short = _allocate(warehouse_order, actor=actor)
        if short:
            if not allow_backorder:
                raise OutOfStock(
                    gettext("Not enough stock at %(warehouse)s for %(skus)s.")
                    % {"warehouse": warehouse_code, "skus": ", ".join(sorted(short))},
                    extra={"warehouse_code": warehouse_code, "short": short},
                )
            take_and_announce(warehouse_order, "backorder", actor=actor, reason="short: " + _describe_short(short))
    return warehouse_order


def warehouse_order_confirm(*, warehouse_order_id: int, actor: str = ACTOR) -> WarehouseOrder:
    """The order's plan takes over a warehouse order intake reserved (`reserve_only`): draft →
    allocated with the reservations it holds (its `allocated` news queues the submission to the
    WMS). Any other state is returned as it is, so planning twice confirms once."""
    with transaction.atomic():
        warehouse_order = locked(warehouse_order_id)
        if warehouse_order.state == S.DRAFT:
            short = _allocate(warehouse_order, actor=actor, reason="stock reserved at intake")
            if short:  # nothing holds back a draft's units, but a line may have been added by hand
                take_and_announce(warehouse_order, "backorder", actor=actor, reason="short: " + _describe_short(short))
    return warehouse_order


def _describe_short(short: dict[str, int]) -> str:
    return ", ".join(f"{sku} x {qty}" for sku, qty in sorted(short.items()))


def warehouse_order_cancel(*, warehouse_order_id: int, actor: str, reason: str) -> WarehouseOrder:
    """Call a warehouse order back.

    Before the WMS has it: cancelled and its stock released at once. Once submitted: the state
    becomes `cancel_requested` (the answer is "requested", 202) and the cancel goes to the WMS as
    lane work (`warehouse_order_request_cancel`), which may still refuse it. Once picking
    started, or closed: `WarehouseOrderNotCancellable` (409) with the reason. Repeating a cancel
    of a cancelled or cancel-requested order returns it unchanged.
    """
    with transaction.atomic():
        warehouse_order = locked(warehouse_order_id)
        if warehouse_order.state in (S.CANCELLED, S.CANCEL_REQUESTED):
            return warehouse_order
        if warehouse_order.state in BEFORE_WMS:
            release_lines(warehouse_order.lines.all())
            _cancel_open_units(warehouse_order)
            take_and_announce(warehouse_order, "cancel", actor=actor, reason=reason)
            return warehouse_order
        if warehouse_order.state in (S.SUBMITTED, S.ACCEPTED):
            take_and_announce(warehouse_order, "request_cancel", actor=actor, reason=reason)
            return warehouse_order
        raise WarehouseOrderNotCancellable(
            _not_cancellable_reason(warehouse_order.state),
            extra={"warehouse_order_id": warehouse_order.pk, "state": warehouse_order.state},
        )


def _not_cancellable_reason(state: str) -> str:
    if state in FINAL:
        return gettext("The warehouse order is closed (%(state)s).") % {"state": state}
    return gettext("The warehouse has started on the order (%(state)s); it can no longer be cancelled.") % {
        "state": state
    }


def _cancel_open_units(warehouse_order: WarehouseOrder) -> None:
    lines = list(warehouse_order.lines.all())
    for line in lines:
        line.cancelled = line.ordered - line.shipped
    WarehouseOrderLine.objects.bulk_update(lines, ["cancelled"])


def warehouse_order_hold(*, warehouse_order_id: int, actor: str, reason: str) -> WarehouseOrder:
    """Hold an order before it goes to the WMS; its reserved stock stays reserved."""
    with transaction.atomic():
        warehouse_order = locked(warehouse_order_id)
        try:
            take_and_announce(warehouse_order, "hold", actor=actor, reason=reason)
        except TransitionNotAllowed as exc:
            raise WarehouseOrderNotHoldable(
                f"Only an allocated or backordered order can be held (it is {warehouse_order.state}).",
                extra={"warehouse_order_id": warehouse_order.pk, "state": warehouse_order.state},
            ) from exc
    return warehouse_order


def warehouse_order_release_hold(*, warehouse_order_id: int, actor: str, reason: str = "") -> WarehouseOrder:
    """Let a held order go on: allocated if all its stock is reserved (or can be now), else backordered."""
    with transaction.atomic():
        warehouse_order = locked(warehouse_order_id)
        if warehouse_order.state != S.ON_HOLD:
            raise WarehouseOrderNotHoldable(
                f"The order is not on hold (it is {warehouse_order.state}).",
                extra={"warehouse_order_id": warehouse_order.pk, "state": warehouse_order.state},
            )
        short = _allocate(warehouse_order, actor=actor, reason=reason or "hold released")
        if short:
            take_and_announce(warehouse_order, "backorder", actor=actor, reason="short: " + _describe_short(short))
    return warehouse_order


def warehouse_backorders_allocate(*, merchant_id: int, warehouse_code: str, skus: Sequence[str] = ()) -> list[int]:
    """Allocate backordered orders of a merchant at a warehouse (those with one of `skus`, if
    given), oldest first, each in its own transaction; return the ids allocated."""
    candidates = WarehouseOrder.objects.filter(
        state=S.BACKORDERED, merchant_id=merchant_id, warehouse_code=warehouse_code
    )
    if skus:
        candidates = candidates.filter(lines__sku__in=list(skus)).distinct()
    allocated = []
    for warehouse_order_id in candidates.order_by("created_at", "id").values_list("id", flat=True):
        with transaction.atomic():
            warehouse_order = locked(warehouse_order_id)
            if warehouse_order.state == S.BACKORDERED and not _allocate(
                warehouse_order, actor=ACTOR, reason="stock arrived"
            ):
                allocated.append(warehouse_order_id)
    return allocated
