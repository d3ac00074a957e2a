"""Reads of the back office: one order as operations see it, gathered from every center."""

from dataclasses import dataclass

from apps.distribution.selectors import carrier_calls_for_orders, distribution_orders_for_order
from apps.fulfillment.selectors import fulfillment_for_order
from apps.scheduling.selectors import lane_entry_for_order
from apps.webhooks.selectors import deliveries_for_order


@dataclass(frozen=True)
class OrderOperations:
    """What happened to one order beyond its own record: its place on a lane, its fulfilment
    legs, its distribution orders and every call made to carriers for them, and the webhooks
    sent to the merchant about it."""

    lane_entry: object | None
    fulfillment: object | None
    legs: tuple
    distribution_orders: tuple
    carrier_calls: tuple
    webhook_deliveries: tuple


def order_operations(*, order_id: int) -> OrderOperations:
    """A fixed number of queries, however many legs, calls or deliveries the order has."""
    fulfillment = fulfillment_for_order(order_id=order_id)
    distribution_orders = tuple(distribution_orders_for_order(order_id=order_id))
    return OrderOperations(
        lane_entry=lane_entry_for_order(order_id=order_id),
        fulfillment=fulfillment,
        legs=tuple(fulfillment.legs.all()) if fulfillment is not None else (),
        distribution_orders=distribution_orders,
        carrier_calls=tuple(carrier_calls_for_orders(distribution_order_ids=[d.id for d in distribution_orders])),
        webhook_deliveries=tuple(deliveries_for_order(order_id=order_id)),
    )
