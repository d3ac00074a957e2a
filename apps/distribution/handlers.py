"""What the distribution center does when events arrive."""

from apps.common import outbox
from apps.distribution.archiving import distribution_archive_for_orders
from apps.distribution.events import (
    DISTRIBUTION_ORDER_CANCELLED,
    DISTRIBUTION_ORDER_CREATED,
    DISTRIBUTION_ORDER_RETRY_REQUESTED,
)
from apps.distribution.tasks import book_distribution_order, void_at_carrier
from apps.orders.events import ORDERS_ARCHIVED

for _event_type in (DISTRIBUTION_ORDER_CREATED, DISTRIBUTION_ORDER_RETRY_REQUESTED):
    outbox.route(
        _event_type,
        task=book_distribution_order,
        kwargs=lambda event: {"distribution_order_id": event.payload["distribution_order_id"]},
        queue="carriers",
    )

outbox.route(
    DISTRIBUTION_ORDER_CANCELLED,
    task=void_at_carrier,
    kwargs=lambda event: {"distribution_order_id": event.payload["distribution_order_id"]},
    queue="carriers",
)


@outbox.on(ORDERS_ARCHIVED)
def archive_with_the_orders(event: outbox.Event) -> None:
    distribution_archive_for_orders(order_ids=[int(i) for i in event.payload["order_ids"]])
