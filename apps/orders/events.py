"""Outbox records of the order center: `orders.order.<what happened>`."""

from apps.common import outbox
from apps.common.models import OutboxEvent
from apps.orders.models import Order


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
        **extra,
    }


def _event(order: Order, what: str, actor: str, extra: dict) -> dict:
    return {
        "event_type": f"orders.order.{what}",
        "aggregate_type": "order",
        "aggregate_id": order.id,
        "merchant_id": order.merchant_id,
        "payload": _payload(order, **extra),
        "actor": actor,
    }


def order_event_row(order: Order, what: str, *, actor: str, **extra) -> OutboxEvent:
    """The event's row, for `order_create`, which writes it in the same statement as the order."""
    return outbox.new_event(**_event(order, what, actor, extra))


def order_event(order: Order, what: str, *, actor: str, **extra) -> None:
    outbox.record(**_event(order, what, actor, extra))
