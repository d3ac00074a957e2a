"""Reads of the fulfilment center, including the buyer's view of a shipment's progress."""

from dataclasses import dataclass
from datetime import datetime

from apps.distribution.selectors import tracking_events_for_order
from apps.fulfillment.models import FulfillmentOrder
from apps.orders.models import OrderState
from apps.orders.selectors import order_find_for_buyer, order_history


def fulfillment_for_order(*, order_id: int) -> FulfillmentOrder | None:
    return FulfillmentOrder.objects.filter(order_id=order_id).prefetch_related("legs").first()


@dataclass(frozen=True)
class TimelineEntry:
    occurred_at: datetime
    label: str
    location: str = ""


@dataclass(frozen=True)
class BuyerTracking:
    """What a buyer may see of a shipment: no names, streets, phones or emails; city and country only."""

    number: str
    state: str
    state_label: str
    carrier_code: str
    tracking_number: str
    origin_country: str
    destination_city: str
    destination_country: str
    timeline: tuple[TimelineEntry, ...]


def buyer_tracking(*, tracking_number: str = "", number: str = "", postal_code: str = "") -> BuyerTracking | None:
    """The public view of a shipment, found by tracking number or by order number and postcode."""
    order = order_find_for_buyer(tracking_number=tracking_number, number=number, postal_code=postal_code)
    if order is None:
        return None
    labels = dict(OrderState.choices)
    entries = [
        TimelineEntry(occurred_at=step.occurred_at, label=labels.get(step.to_state, step.to_state))
        for step in order_history(order_id=order.id)
    ]
    entries += [
        TimelineEntry(
            occurred_at=event.occurred_at, label=event.description or event.milestone, location=event.location
        )
        for event in tracking_events_for_order(order_id=order.id)
    ]
    return BuyerTracking(
        number=order.number,
        state=order.state,
        state_label=labels.get(order.state, order.state),
        carrier_code=order.carrier_code,
        tracking_number=order.tracking_number,
        origin_country=order.sender_country,
        destination_city=order.recipient_city,
        destination_country=order.recipient_country,
        timeline=tuple(sorted(entries, key=lambda e: e.occurred_at)),
    )
