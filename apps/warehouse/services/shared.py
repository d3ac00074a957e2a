"""What the warehouse services share: the order's row lock, transitions with their event, and the
WMS gateway with a record of each call.

Locking rule (docs/locking.md): a warehouse order's row first, then stock rows in
(warehouse_code, merchant_id, sku) order, each touched by one conditional UPDATE; no lock is held
across a WMS call (calls happen between transactions).
"""

import time
from collections.abc import Callable
from typing import Any

from apps.common.fsm import take_transition
from apps.resources.selectors import warehouse_get
from apps.warehouse import events
from apps.warehouse.exceptions import WarehouseOrderNotFound
from apps.warehouse.models import WarehouseOrder, WarehouseOrderState, WmsCall
from apps.warehouse.wms import WmsGateway, WmsRefused, wms_gateway_for

S = WarehouseOrderState
ACTOR = "system:warehouse"


def take_and_announce(warehouse_order: WarehouseOrder, name: str, *, actor: str = ACTOR, reason: str = "") -> None:
    """Take the transition (history row, version bump) and record `warehouse.order.changed`."""
    take_transition(warehouse_order, name, actor=actor, reason=reason)
    events.warehouse_order_changed(warehouse_order, actor=actor, reason=reason)


def locked(warehouse_order_id: int) -> WarehouseOrder:
    warehouse_order = WarehouseOrder.objects.select_for_update().filter(pk=warehouse_order_id).first()
    if warehouse_order is None:
        raise WarehouseOrderNotFound(
            f"Warehouse order {warehouse_order_id} does not exist.", extra={"warehouse_order_id": warehouse_order_id}
        )
    return warehouse_order


def gateway(warehouse_code: str) -> WmsGateway:
    return wms_gateway_for(warehouse_get(code=warehouse_code))


def call_wms[T](
    warehouse_code: str,
    operation: str,
    call: Callable[..., T],
    *args: Any,
    warehouse_order_id: int | None = None,
    reference: str = "",
) -> T:
    """Make one WMS call outside any transaction and keep a `WmsCall` row of how it went; the
    gateway's errors go up unchanged (WmsUnavailable: the caller retries later)."""
    started = time.monotonic()
    outcome, error = WmsCall.Outcome.OK, ""
    try:
        return call(*args)
    except WmsRefused as exc:
        outcome, error = WmsCall.Outcome.REFUSED, exc.reason
        raise
    except Exception as exc:
        outcome, error = WmsCall.Outcome.FAILED, f"{type(exc).__name__}: {exc}"
        raise
    finally:
        WmsCall.objects.create(
            warehouse_code=warehouse_code,
            operation=operation,
            warehouse_order_id=warehouse_order_id,
            reference=reference[:100],
            outcome=outcome,
            duration_ms=int((time.monotonic() - started) * 1000),
            error=error[:300],
        )
