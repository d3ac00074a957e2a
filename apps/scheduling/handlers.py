"""Scheduling admits accepted orders and frees lane slots when booking ends."""

from apps.common import outbox
from apps.distribution.events import (
    DISTRIBUTION_ORDER_BOOKED,
    DISTRIBUTION_ORDER_BOOKING_FAILED,
    DISTRIBUTION_ORDER_CANCELLED,
)
from apps.orders.events import ORDER_ACCEPTED, ORDER_CANCELLED, ORDERS_ARCHIVED
from apps.scheduling.archiving import scheduling_archive_for_orders
from apps.scheduling.services import (
    lane_enqueue,
    lane_entry_finish,
    lane_entry_withdraw,
    order_reroute_request,
)


@outbox.on(ORDER_ACCEPTED)
def enqueue_accepted_order(event: outbox.Event) -> None:
    lane_enqueue(order_id=int(event.payload["order_id"]))


@outbox.on(DISTRIBUTION_ORDER_BOOKED)
def free_slot_after_booking(event: outbox.Event) -> None:
    lane_entry_finish(order_id=int(event.payload["order_id"]), succeeded=True)


@outbox.on(DISTRIBUTION_ORDER_BOOKING_FAILED)
def reroute_after_failed_booking(event: outbox.Event) -> None:
    order_id, reason = int(event.payload["order_id"]), event.payload["reason"]
    lane_entry_finish(order_id=order_id, succeeded=False, reason=reason)
    # The slot is free before the request goes out, so the new entry never meets the old one.
    order_reroute_request(
        order_id=order_id,
        merchant_id=event.merchant_id,
        reason=f"booking at {event.payload['carrier_code']} failed: {reason}",
    )


@outbox.on(ORDER_CANCELLED)
def withdraw_cancelled_order(event: outbox.Event) -> None:
    lane_entry_withdraw(order_id=int(event.payload["order_id"]), reason="order cancelled")


@outbox.on(DISTRIBUTION_ORDER_CANCELLED)
def free_slot_after_cancellation(event: outbox.Event) -> None:
    lane_entry_finish(order_id=int(event.payload["order_id"]), succeeded=False, reason="cancelled")


@outbox.on(ORDERS_ARCHIVED)
def archive_with_the_orders(event: outbox.Event) -> None:
    scheduling_archive_for_orders(order_ids=[int(i) for i in event.payload["order_ids"]])
