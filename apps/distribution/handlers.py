"""What the distribution center does when events arrive.

Every call to a carrier (booking, voiding, tracking polls) is lane work of the scheduling center,
which subscribes to `distribution.order.retry_requested`, `cancelled` and `void_requested`;
nothing here sends work to a carrier by itself.
"""

from apps.common import outbox
from apps.distribution.archiving import distribution_archive_for_orders
from apps.orders.events import ORDERS_ARCHIVED


@outbox.on(ORDERS_ARCHIVED)
def archive_with_the_orders(event: outbox.Event) -> None:
    distribution_archive_for_orders(order_ids=[int(i) for i in event.payload["order_ids"]])
