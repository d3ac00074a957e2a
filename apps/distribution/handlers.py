"""What the distribution center does when events arrive."""

from apps.common import outbox
from apps.distribution.archiving import distribution_archive_for_orders
from apps.distribution.tasks import book_distribution_order, void_at_carrier
from apps.orders.archiving import ARCHIVED_EVENT

for _event_type in ("distribution.order.created", "distribution.order.retry_requested"):
    outbox.route(
        _event_type,
        task=book_distribution_order,
        kwargs=lambda event: {"distribution_order_id": event.payload["distribution_order_id"]},
        queue="carriers",
    )

outbox.route(
    "distribution.order.cancelled",
    task=void_at_carrier,
    kwargs=lambda event: {"distribution_order_id": event.payload["distribution_order_id"]},
    queue="carriers",
)


@outbox.on(ARCHIVED_EVENT)
def archive_with_the_orders(event: outbox.Event) -> None:
    distribution_archive_for_orders(order_ids=[int(i) for i in event.payload["order_ids"]])
