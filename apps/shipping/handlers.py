"""Shipping chooses the next route of an order whose booking failed for good, and gives back
the stock it reserved at intake for an order that is cancelled."""

from apps.common import outbox
from apps.orders.events import ORDER_CANCELLED
from apps.scheduling.events import ORDER_REROUTE_REQUESTED
from apps.shipping.services import order_reroute_after_failed_booking, order_stock_release


@outbox.on(ORDER_REROUTE_REQUESTED)
def reroute_order(event: outbox.Event) -> None:
    # The order's history names the one who asked (scheduling, whose booking lane gave up).
    order_reroute_after_failed_booking(
        order_id=int(event.payload["order_id"]), reason=event.payload["reason"], actor=event.actor
    )


@outbox.on(ORDER_CANCELLED)
def release_stock_of_cancelled_order(event: outbox.Event) -> None:
    order_stock_release(order_id=int(event.payload["order_id"]), actor=event.actor, reason="order cancelled")
