"""What the warehouse center does when events arrive."""

from apps.common import outbox
from apps.orders.events import ORDERS_ARCHIVED
from apps.warehouse.archiving import warehouse_archive_for_orders


@outbox.on(ORDERS_ARCHIVED)
def archive_with_the_orders(event: outbox.Event) -> None:
    warehouse_archive_for_orders(order_ids=[int(i) for i in event.payload["order_ids"]])
