"""Fulfilment follows its distribution and warehouse legs."""

from apps.common import outbox
from apps.distribution.events import distribution_state_event
from apps.fulfillment.archiving import fulfillment_archive_for_orders
from apps.fulfillment.services import (
    fulfillment_cancel,
    fulfillment_distribution_leg_changed,
    fulfillment_warehouse_leg_changed,
)
from apps.orders.events import ORDER_CANCELLED, ORDERS_ARCHIVED
from apps.warehouse.events import WAREHOUSE_ORDER_CHANGED

LEG_NEWS = (
    "booked",
    "picked_up",
    "in_transit",
    "customs_hold",
    "out_for_delivery",
    "delivery_failed",
    "delivered",
    "returned",
    "booking_failed",
    "exception",
)


def leg_changed(event: outbox.Event) -> None:
    payload = event.payload
    fulfillment_distribution_leg_changed(
        distribution_order_id=payload["distribution_order_id"],
        state=payload["state"],
        version=payload["version"],
        reason=payload.get("reason", ""),
    )


for _state in LEG_NEWS:
    outbox.on(distribution_state_event(_state))(leg_changed)


@outbox.on(WAREHOUSE_ORDER_CHANGED)
def warehouse_leg_changed(event: outbox.Event) -> None:
    payload = event.payload
    fulfillment_warehouse_leg_changed(
        warehouse_order_id=payload["warehouse_order_id"],
        state=payload["state"],
        version=payload["version"],
        reason=payload.get("reason", ""),
    )


@outbox.on(ORDER_CANCELLED)
def cancel_legs(event: outbox.Event) -> None:
    fulfillment_cancel(
        order_id=int(event.payload["order_id"]),
        actor=event.actor or "system:fulfillment",
        reason=event.payload.get("reason", "order cancelled"),
    )


@outbox.on(ORDERS_ARCHIVED)
def archive_with_the_orders(event: outbox.Event) -> None:
    fulfillment_archive_for_orders(order_ids=[int(i) for i in event.payload["order_ids"]])
