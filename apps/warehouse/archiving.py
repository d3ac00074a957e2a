"""The warehouse center's part of archiving: an archived order's warehouse orders and history."""

from django.db import transaction

from apps.common.archive import Children, archive_aggregates
from apps.warehouse.models import WarehouseOrder, WarehouseOrderTransition


def warehouse_archive_for_orders(*, order_ids: list[int]) -> int:
    with transaction.atomic():
        return archive_aggregates(
            kind="warehouse_order",
            root=WarehouseOrder,
            children=[Children("history", WarehouseOrderTransition, "warehouse_order_id")],
            order_ids=order_ids,
        )
