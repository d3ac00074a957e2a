"""Shipping chooses the next route of an order whose booking failed for good."""

from apps.common import outbox
from apps.scheduling.events import ORDER_REROUTE_REQUESTED
from apps.shipping.services import order_reroute_after_failed_booking


@outbox.on(ORDER_REROUTE_REQUESTED)
def reroute_order(event: outbox.Event) -> None:
    # The order's history names the one who asked (scheduling, whose booking lane gave up).
    order_reroute_after_failed_booking(
        order_id=int(event.payload["order_id"]), reason=event.payload["reason"], actor=event.actor
    )
