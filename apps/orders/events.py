"""Outbox records of the order center (`orders.order.<what happened>`), and their type names:
subscribers name an order event by the constants and `order_state_event` below."""

from apps.common import outbox
from apps.common.models import OutboxEvent
from apps.orders.models import BULK_CHANNELS, Order, OrderState


def order_state_event(state: str) -> str:
    """`orders.order.<state>`: the order reached `state`, one of `OrderState`."""
    return f"orders.order.{state}"


ORDER_ACCEPTED = order_state_event(OrderState.ACCEPTED)
ORDER_CANCELLED = order_state_event(OrderState.CANCELLED)
# News that is not a state of its own.
ORDER_BOOKED = "orders.order.booked"
ORDER_REROUTED = "orders.order.rerouted"
# One event per archived batch of orders (apps.orders.archiving), not per order.
ORDERS_ARCHIVED = "orders.orders.archived"


def _payload(order: Order, **extra) -> dict:
    return {
        "order_id": str(order.id),
        "order_number": order.number,
        "reference": order.reference,
        "state": order.state,
        "version": order.version,
        "carrier_code": order.carrier_code,
        "service_code": order.service_code,
        "tracking_number": order.tracking_number,
        **({outbox.BULK: True} if order.channel in BULK_CHANNELS else {}),
        **extra,
    }


def _event(order: Order, event_type: str, actor: str, extra: dict) -> dict:
    return {
        "event_type": event_type,
        "aggregate_type": "order",
        "aggregate_id": order.id,
        "merchant_id": order.merchant_id,
        "payload": _payload(order, **extra),
        "actor": actor,
    }


def order_event_row(order: Order, event_type: str, *, actor: str, **extra) -> OutboxEvent:
    """The event's row, for `order_create`, which writes it in the same statement as the order."""
    return outbox.new_event(**_event(order, event_type, actor, extra))


def order_event(order: Order, event_type: str, *, actor: str, **extra) -> None:
    outbox.record(**_event(order, event_type, actor, extra))
