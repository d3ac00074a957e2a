"""What the warehouse services share: the order's row lock, transitions with their event, and the
WMS gateway with a record of each call.

Locking rule (docs/locking.md): a warehouse order's row first, then stock rows in
(warehouse_code, merchant_id, sku) order, each touched by one conditional UPDATE; no lock is held
across a WMS call (calls happen between transactions).
"""

from apps.common.fsm import take_transition
from apps.resources.selectors import warehouse_get
from apps.warehouse import events
from apps.warehouse.breaker import GuardedWmsGateway
from apps.warehouse.exceptions import WarehouseOrderNotFound
from apps.warehouse.models import WarehouseOrder, WarehouseOrderState, WmsCall
from apps.warehouse.wms import WmsCallRecord, WmsGateway, wms_gateway_for

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


def _call_log(warehouse_order_id: int | None, reference: str):
    def log(record: WmsCallRecord) -> None:
        WmsCall.objects.create(
            warehouse_code=record.warehouse_code,
            operation=record.operation,
            warehouse_order_id=warehouse_order_id,
            reference=reference[:100],
            method=record.method,
            path=record.path[:300],
            status_code=record.status_code,
            outcome=record.outcome,
            duration_ms=record.duration_ms,
            error=record.error[:300],
        )

    return log


def gateway(warehouse_code: str, *, warehouse_order_id: int | None = None, reference: str = "") -> WmsGateway:
    """The warehouse's WMS gateway behind its circuit breaker (apps/warehouse/breaker.py),
    keeping a `WmsCall` row for each call it makes. Calls are made outside any transaction; the
    gateway's errors go up unchanged (WmsUnavailable, WmsCircuitOpen among them: the caller
    retries later; WmsRefused: permanent for that call)."""
    wms = wms_gateway_for(warehouse_get(code=warehouse_code), observer=_call_log(warehouse_order_id, reference))
    return GuardedWmsGateway(wms, warehouse_code=warehouse_code)
