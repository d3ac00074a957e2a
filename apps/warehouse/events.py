"""Outbox records of the warehouse center, and their type names.

`warehouse.order.changed` is the one event of a warehouse order: it carries the new state and
version (subscribers ignore a version they have seen), the parcels once packed and the shipped
lines, so that fulfilment can follow the warehouse leg as it follows distribution legs.
"""

from apps.common import outbox
from apps.warehouse.models import WarehouseOrder

WAREHOUSE_ORDER_CHANGED = "warehouse.order.changed"
# Stock became available (receipt, adjustment): backordered orders may be allocated now.
WAREHOUSE_STOCK_RECEIVED = "warehouse.stock.received"
# A merchant announced an inbound shipment: it is to be told to the WMS (scheduling's lane work).
WAREHOUSE_ASN_CREATED = "warehouse.asn.created"
# The ledger check or a snapshot found a difference operations must look at.
WAREHOUSE_STOCK_DISCREPANCY = "warehouse.stock.discrepancy"


def warehouse_order_changed(warehouse_order: WarehouseOrder, *, actor: str, reason: str = "") -> None:
    lines = list(warehouse_order.lines.all())
    outbox.record(
        event_type=WAREHOUSE_ORDER_CHANGED,
        aggregate_type="warehouse_order",
        aggregate_id=warehouse_order.pk,
        merchant_id=warehouse_order.merchant_id,
        payload={
            "warehouse_order_id": warehouse_order.pk,
            "order_id": str(warehouse_order.order_id),
            "warehouse_code": warehouse_order.warehouse_code,
            "state": warehouse_order.state,
            "version": warehouse_order.version,
            "reason": reason,
            "parcels": warehouse_order.parcels,
            "lines": [
                {"sku": line.sku, "ordered": line.ordered, "shipped": line.shipped, "cancelled": line.cancelled}
                for line in lines
            ],
            "backorder_of": warehouse_order.backorder_of_id,
        },
        actor=actor,
    )


def stock_received(*, merchant_id: int, warehouse_code: str, skus: list[str], actor: str) -> None:
    outbox.record(
        event_type=WAREHOUSE_STOCK_RECEIVED,
        aggregate_type="warehouse",
        aggregate_id=warehouse_code,
        merchant_id=merchant_id,
        payload={"warehouse_code": warehouse_code, "merchant_id": merchant_id, "skus": sorted(set(skus))},
        actor=actor,
    )


def stock_discrepancy(*, warehouse_code: str, source: str, count: int, detail: str, actor: str) -> None:
    outbox.record(
        event_type=WAREHOUSE_STOCK_DISCREPANCY,
        aggregate_type="warehouse",
        aggregate_id=warehouse_code or "all",
        merchant_id=None,
        payload={"warehouse_code": warehouse_code, "source": source, "count": count, "detail": detail},
        actor=actor,
    )


def asn_created(asn, *, actor: str) -> None:
    outbox.record(
        event_type=WAREHOUSE_ASN_CREATED,
        aggregate_type="asn",
        aggregate_id=asn.pk,
        merchant_id=asn.merchant_id,
        payload={"asn_id": asn.pk, "warehouse_code": asn.warehouse_code, "merchant_id": asn.merchant_id},
        actor=actor,
    )
