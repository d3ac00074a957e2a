"""The warehouse center's part of archiving: an archived order's warehouse orders with their
lines and history. Stock, its ledger and reservations stay: they are the warehouse's, not the
order's (a reservation only loses its link to the archived line)."""

from django.db import transaction

from apps.common.archive import Children, archive_aggregates
from apps.warehouse.models import StockReservation, WarehouseOrder, WarehouseOrderLine, WarehouseOrderTransition


def warehouse_archive_for_orders(*, order_ids: list[int]) -> int:
    with transaction.atomic():
        reservations = StockReservation.objects.filter(line__warehouse_order__order_id__in=order_ids)
        reservations.update(line=None)
        archived = archive_aggregates(
            kind="warehouse_order",
            root=WarehouseOrder,
            children=[
                Children("lines", WarehouseOrderLine, "warehouse_order_id"),
                Children("history", WarehouseOrderTransition, "warehouse_order_id"),
            ],
            order_ids=order_ids,
        )
        return archived
