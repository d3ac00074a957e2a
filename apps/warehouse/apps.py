from django.apps import AppConfig


class WarehouseConfig(AppConfig):
    """Owns warehouse orders and their state machine (allocated or backordered, at the WMS, shipped
    or short), merchants' stock per warehouse (on hand, reservation rows, a ledger), inbound
    shipments (ASNs) with their discrepancies, and following each warehouse's WMS: news by
    webhook, polled changes and stock snapshots, all through one code path. The HTTP gateway to a
    WMS is `wms` (`wms.wms_gateway_for`); every call to it passes the WMS's circuit breaker
    (`breaker.GuardedWmsGateway`, `breaker.wms_circuit`). The calls run as the scheduling center's
    lane work.

    Public API: `services.warehouse_order_create`, `services.warehouse_order_cancel`,
    `services.warehouse_order_submit`, `services.warehouse_order_request_cancel`,
    `services.warehouse_apply_wms_order`, `services.warehouse_poll_changes`,
    `services.warehouse_stock_snapshot_reconcile`, `services.asn_create/_announce/_receipts_poll/_close`,
    `selectors.stock_available` (routing), `selectors.stock_list`, `selectors.stock_positions`,
    `selectors.stock_inbound`, `selectors.warehouse_order_get`, `selectors.asn_get`,
    `selectors.warehouse_history_for_order` (the order's timeline), `selectors.warehouses_to_poll`,
    `selectors.warehouse_orders_late`, `selectors.warehouse_orders_stuck`. Errors:
    `exceptions.OutOfStock` (409 `out_of_stock`). Events:
    `warehouse.order.changed`, `warehouse.asn.created`, `warehouse.stock.received`,
    `warehouse.stock.discrepancy` (`events.WAREHOUSE_ORDER_CHANGED`). Webhooks:
    `/warehouse/wms-webhooks/<code>/` (`views.wms_webhook`).
    """

    name = "apps.warehouse"
    label = "warehouse"

    def ready(self) -> None:
        from apps.warehouse import handlers  # noqa: F401
