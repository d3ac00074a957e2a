"""The event types merchants can subscribe to, and the events they come from: the order center's,
and the warehouse center's news of an order's warehouse order."""

from apps.orders.events import ORDER_ACCEPTED, ORDER_BOOKED, ORDER_CANCELLED, order_state_event
from apps.orders.models import OrderState as S
from apps.warehouse.events import WAREHOUSE_ORDER_CHANGED

# Public name -> the outbox event type of the order center. Internal steps (scheduled, in
# fulfilment, re-routed) are not offered: they tell a merchant nothing they can act on.
EVENT_TYPES: dict[str, str] = {
    "order.accepted": ORDER_ACCEPTED,
    "order.booked": ORDER_BOOKED,
    "order.handed_over": order_state_event(S.HANDED_OVER),
    "order.in_transit": order_state_event(S.IN_TRANSIT),
    "order.customs_hold": order_state_event(S.CUSTOMS_HOLD),
    "order.out_for_delivery": order_state_event(S.OUT_FOR_DELIVERY),
    "order.delivery_failed": order_state_event(S.DELIVERY_FAILED),
    "order.delivered": order_state_event(S.DELIVERED),
    "order.returned": order_state_event(S.RETURNED),
    "order.exception": order_state_event(S.EXCEPTION),
    "order.cancelled": ORDER_CANCELLED,
    # Each stage of an order shipped from stock: allocated, backordered, at the WMS, picking,
    # packed, shipped (or short, cancelled, rejected); `data.state` is the warehouse order's.
    "warehouse_order.changed": WAREHOUSE_ORDER_CHANGED,
}
# Event types whose body describes a warehouse order (`event_body`), not the order itself.
WAREHOUSE_TYPES = frozenset({"warehouse_order.changed"})
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
    "warehouse_order.changed": "a warehouse shipping it from your stock moved it on (picking, packed, shipped...)",
}
