"""The event types merchants can subscribe to, and the events they come from: the order center's,
and the warehouse center's news of an order's warehouse order."""

from django.utils.translation import gettext_lazy as _

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

# Shown beside each type in the portal, in the reader's language.
EVENT_TYPE_HELP = {
    "order.accepted": _("the order was accepted and routed"),
    "order.booked": _("the carrier booked it; the tracking number is known"),
    "order.handed_over": _("handed to the carrier"),
    "order.in_transit": _("in transit"),
    "order.customs_hold": _("held in customs"),
    "order.out_for_delivery": _("out for delivery"),
    "order.delivery_failed": _("a delivery attempt failed"),
    "order.delivered": _("delivered"),
    "order.returned": _("returned to the sender"),
    "order.exception": _("needs attention (exception)"),
    "order.cancelled": _("cancelled"),
    "warehouse_order.changed": _("a warehouse shipping it from your stock moved it on (picking, packed, shipped...)"),
}
