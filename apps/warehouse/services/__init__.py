"""Writes of the warehouse center: warehouse orders before the WMS (`orders`), at the WMS and
its news (`wms`), stock and its ledger check (`stock`), inbound shipments (`asns`) and stock
snapshots with operations' drift decisions (`reconcile`). Callers import from here."""

from apps.warehouse.services.asns import asn_announce, asn_close, asn_create, asn_receipt_apply, asn_receipts_poll
from apps.warehouse.services.orders import (
    warehouse_backorders_allocate,
    warehouse_order_cancel,
    warehouse_order_confirm,
    warehouse_order_create,
    warehouse_order_hold,
    warehouse_order_release_hold,
)
from apps.warehouse.services.reconcile import (
    reconciliation_drift_accept,
    reconciliation_drift_hold,
    stock_snapshot_apply,
    warehouse_stock_snapshot_reconcile,
)
from apps.warehouse.services.stock import (
    stock_adjust,
    stock_check,
    stock_count,
    stock_release,
    stock_reservations_expire,
    stock_reserve,
)
from apps.warehouse.services.wms import (
    warehouse_apply_wms_order,
    warehouse_order_request_cancel,
    warehouse_order_submit,
    warehouse_poll_changes,
    warehouse_wms_webhook_receive,
)

__all__ = [
    "asn_announce",
    "asn_close",
    "asn_create",
    "asn_receipt_apply",
    "asn_receipts_poll",
    "reconciliation_drift_accept",
    "reconciliation_drift_hold",
    "stock_adjust",
    "stock_check",
    "stock_count",
    "stock_release",
    "stock_reservations_expire",
    "stock_reserve",
    "stock_snapshot_apply",
    "warehouse_apply_wms_order",
    "warehouse_backorders_allocate",
    "warehouse_order_cancel",
    "warehouse_order_confirm",
    "warehouse_order_create",
    "warehouse_order_hold",
    "warehouse_order_release_hold",
    "warehouse_order_request_cancel",
    "warehouse_order_submit",
    "warehouse_poll_changes",
    "warehouse_stock_snapshot_reconcile",
    "warehouse_wms_webhook_receive",
]
