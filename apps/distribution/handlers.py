"""What the distribution center does when events arrive."""

from apps.common import outbox
from apps.distribution.tasks import book_distribution_order, void_at_carrier

outbox.route(
    "distribution.order.created",
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
