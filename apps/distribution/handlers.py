"""What the distribution center does when events arrive."""

from apps.common import outbox
from apps.distribution.tasks import book_distribution_order, void_at_carrier

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
