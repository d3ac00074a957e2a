"""The event types merchants can subscribe to, and the order-center events they come from."""

# Public name -> the outbox event type of the order center. Internal steps (scheduled, in
# fulfilment, re-routed) are not offered: they tell a merchant nothing they can act on.
EVENT_TYPES: dict[str, str] = {
    "order.accepted": "orders.order.accepted",
    "order.booked": "orders.order.booked",
    "order.handed_over": "orders.order.handed_over",
    "order.in_transit": "orders.order.in_transit",
    "order.customs_hold": "orders.order.customs_hold",
    "order.out_for_delivery": "orders.order.out_for_delivery",
    "order.delivery_failed": "orders.order.delivery_failed",
    "order.delivered": "orders.order.delivered",
    "order.returned": "orders.order.returned",
    "order.exception": "orders.order.exception",
    "order.cancelled": "orders.order.cancelled",
}
PUBLIC_TYPE_OF = {internal: public for public, internal in EVENT_TYPES.items()}

EVENT_TYPE_HELP = {
    "order.accepted": "the order was accepted and routed",
    "order.booked": "the carrier booked it; the tracking number is known",
    "order.handed_over": "handed to the carrier",
    "order.in_transit": "in transit",
    "order.customs_hold": "held in customs",
    "order.out_for_delivery": "out for delivery",
    "order.delivery_failed": "a delivery attempt failed",
    "order.delivered": "delivered",
    "order.returned": "returned to the sender",
    "order.exception": "needs attention (exception)",
    "order.cancelled": "cancelled",
}
