"""Scheduling admits accepted orders and frees lane slots when booking ends."""

from apps.common import outbox
from apps.scheduling.services import lane_enqueue, lane_entry_finish


@outbox.on("orders.order.accepted")
def enqueue_accepted_order(event: outbox.Event) -> None:
    lane_enqueue(order_id=int(event.payload["order_id"]))


@outbox.on("distribution.order.booked")
def free_slot_after_booking(event: outbox.Event) -> None:
    lane_entry_finish(order_id=int(event.payload["order_id"]), succeeded=True)


@outbox.on("distribution.order.booking_failed")
def free_slot_after_failed_booking(event: outbox.Event) -> None:
    lane_entry_finish(order_id=int(event.payload["order_id"]), succeeded=False, reason=event.payload["reason"])
