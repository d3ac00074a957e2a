"""Reads of the fulfilment center: an order's timeline, and the buyer's view of a shipment's progress."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from apps.distribution.selectors import tracking_events_for_order
from apps.fulfillment.models import FulfillmentLeg, FulfillmentOrder
from apps.orders.models import ArchivedOrder, Order, OrderState
from apps.orders.selectors import order_find_for_buyer, order_history
from apps.warehouse.selectors import WAREHOUSE_STATE_LABELS, warehouse_history_for_order


def fulfillment_current_distribution_order_id(*, order_id: int) -> int | None:
    """The distribution order of the order's latest distribution leg, if it has one."""
    fulfillment = FulfillmentOrder.objects.filter(order_id=order_id).first()
    if fulfillment is None:
        return None
    return fulfillment.legs.filter(kind="distribution").order_by("-sequence").values_list("leg_id", flat=True).first()


def fulfillment_current_warehouse_order_id(*, order_id: int) -> int | None:
    """The warehouse order of the order's latest warehouse leg, if it has one."""
    return (
        FulfillmentLeg.objects.filter(fulfillment_order__order_id=order_id, kind=FulfillmentLeg.Kind.WAREHOUSE)
        .order_by("-sequence")
        .values_list("leg_id", flat=True)
        .first()
    )


def fulfillment_leg_is_last_mile(*, distribution_order_id: int) -> bool:
    """Whether the delivery is the last mile of a line haul (a new route from the origin cannot help it)."""
    return FulfillmentLeg.objects.filter(
        kind=FulfillmentLeg.Kind.DISTRIBUTION, leg_id=distribution_order_id, role=FulfillmentLeg.Role.LAST_MILE
    ).exists()


def fulfillment_for_order(*, order_id: int) -> FulfillmentOrder | None:
    return FulfillmentOrder.objects.filter(order_id=order_id).prefetch_related("legs").first()


class TimelineKind(StrEnum):
    STATE_CHANGED = "state_changed"
    WAREHOUSE = "warehouse"
    TRACKING = "tracking"


# At the same instant, the order's own step comes before the warehouse's, then the carrier's news.
_KIND_RANK = {TimelineKind.STATE_CHANGED: 0, TimelineKind.WAREHOUSE: 1, TimelineKind.TRACKING: 2}


@dataclass(frozen=True)
class OrderTimelineEntry:
    """One line of an order's timeline: a state the order reached, a stage of its warehouse order
    (`state` is the warehouse order's), or a carrier tracking event.

    `actor` and `reason` are internal (who moved the order and why): for the merchant and the
    ERP, never for the buyer.
    """

    occurred_at: datetime
    kind: TimelineKind
    title: str  # the state's label, or the carrier's description (else its milestone's label)
    row_id: int  # of the transition or tracking event: the last tie-break
    state: str = ""
    previous_state: str = ""
    milestone: str = ""
    carrier_status: str = ""
    location: str = ""
    actor: str = ""
    reason: str = ""

    @property
    def sort_key(self) -> tuple[datetime, int, int]:
        return (self.occurred_at, _KIND_RANK[self.kind], self.row_id)


def order_timeline(*, order: Order | ArchivedOrder) -> tuple[OrderTimelineEntry, ...]:
    """Each state the order reached and each carrier tracking event, live or archived, in event
    time (a scan that arrives late sorts where it happened); ties go state change first, then row
    id, so the same rows always read in the same order. At most five queries, however long the timeline."""
    labels = dict(OrderState.choices)
    entries = [
        OrderTimelineEntry(
            occurred_at=step.occurred_at,
            kind=TimelineKind.STATE_CHANGED,
            title=labels.get(step.to_state, step.to_state),
            row_id=step.id,
            state=step.to_state,
            previous_state=step.from_state,
            actor=step.actor,
            reason=step.reason,
        )
        for step in order_history(order_id=order.id)
    ]
    entries += [
        OrderTimelineEntry(
            occurred_at=event.occurred_at,
            kind=TimelineKind.TRACKING,
            title=event.description or event.get_milestone_display(),
            row_id=event.id,
            milestone=event.milestone,
            carrier_status=event.carrier_status,
            location=event.location,
            actor=f"carrier {order.carrier_code}",
        )
        for event in tracking_events_for_order(order_id=order.id, archived=order.is_archived)
    ]
    entries += [
        OrderTimelineEntry(
            occurred_at=step.occurred_at,
            kind=TimelineKind.WAREHOUSE,
            title=f"Warehouse: {WAREHOUSE_STATE_LABELS.get(step.to_state, step.to_state)}",
            row_id=step.id,
            state=step.to_state,
            previous_state=step.from_state,
            location=step.warehouse_order.warehouse_code,
            actor=step.actor,
            reason=step.reason,
        )
        for step in warehouse_history_for_order(order_id=order.id)
    ]
    return tuple(sorted(entries, key=lambda entry: entry.sort_key))


@dataclass(frozen=True)
class BuyerTimelineEntry:
    occurred_at: datetime
    label: str
    location: str = ""


@dataclass(frozen=True)
class BuyerTracking:
    """What a buyer may see of a shipment: no names, streets, phones or emails; city and country
    only; no actors or reasons in the timeline."""

    number: str
    state: str
    state_label: str
    carrier_code: str
    tracking_number: str
    origin_country: str
    destination_city: str
    destination_country: str
    timeline: tuple[BuyerTimelineEntry, ...]


# What a buyer sees of the warehouse: the goods being picked, packed and handed over, no paperwork.
_BUYER_WAREHOUSE_STAGES = frozenset({"picking", "packed", "partially_shipped", "shipped"})


def buyer_tracking(*, tracking_number: str = "", number: str = "", postal_code: str = "") -> BuyerTracking | None:
    """The public view of a shipment, found by tracking number or by order number and postcode."""
    order = order_find_for_buyer(tracking_number=tracking_number, number=number, postal_code=postal_code)
    if order is None:
        return None
    return BuyerTracking(
        number=order.number,
        state=order.state,
        state_label=dict(OrderState.choices).get(order.state, order.state),
        carrier_code=order.carrier_code,
        tracking_number=order.tracking_number,
        origin_country=order.sender_country,
        destination_city=order.recipient_city,
        destination_country=order.recipient_country,
        timeline=tuple(
            BuyerTimelineEntry(occurred_at=entry.occurred_at, label=entry.title, location=entry.location)
            for entry in order_timeline(order=order)
            if entry.kind is not TimelineKind.WAREHOUSE or entry.state in _BUYER_WAREHOUSE_STAGES
        ),
    )
