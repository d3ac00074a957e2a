"""Reads of the fulfilment center: an order's timeline, and the buyer's view of a shipment's progress."""

from dataclasses import dataclass
from datetime import date, timedelta

from apps.distribution.selectors import distribution_orders_for_order, tracking_events_for_order
from apps.fulfillment.models import FulfillmentLeg, FulfillmentOrder
from apps.fulfillment.timeline_words import TimelineLine, buyer_timeline
from apps.fulfillment.types import OrderTimelineEntry, TimelineKind
from apps.merchants.selectors import merchant_public
from apps.orders.models import ArchivedOrder, Order, OrderState
from apps.orders.selectors import order_find_for_buyer, order_history
from apps.resources.selectors import service_transit_days
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


def fulfillment_warehouse_order_ids(*, order_id: int) -> list[int]:
    """The warehouse orders of every warehouse leg of the order (one per part of a split order)."""
    return list(
        FulfillmentLeg.objects.filter(fulfillment_order__order_id=order_id, kind=FulfillmentLeg.Kind.WAREHOUSE)
        .order_by("sequence")
        .values_list("leg_id", flat=True)
    )


def fulfillment_leg_is_split_part(*, distribution_order_id: int) -> bool:
    """Whether the delivery carries one part of an order split across warehouses (a new route for
    the whole order cannot help it: fulfilment flags it for a person)."""
    return FulfillmentLeg.objects.filter(
        kind=FulfillmentLeg.Kind.DISTRIBUTION, leg_id=distribution_order_id, part__gt=0
    ).exists()


def fulfillment_leg_is_last_mile(*, distribution_order_id: int) -> bool:
    """Whether the delivery is the last mile of a line haul (a new route from the origin cannot help it)."""
    return FulfillmentLeg.objects.filter(
        kind=FulfillmentLeg.Kind.DISTRIBUTION, leg_id=distribution_order_id, role=FulfillmentLeg.Role.LAST_MILE
    ).exists()


def fulfillment_for_order(*, order_id: int) -> FulfillmentOrder | None:
    return FulfillmentOrder.objects.filter(order_id=order_id).prefetch_related("legs").first()


def _distribution_roles(*, order_id: int) -> dict[int, str]:
    """The role of each of the order's deliveries in its plan, by distribution order id."""
    return dict(
        FulfillmentLeg.objects.filter(
            fulfillment_order__order_id=order_id, kind=FulfillmentLeg.Kind.DISTRIBUTION
        ).values_list("leg_id", "role")
    )


def order_timeline(*, order: Order | ArchivedOrder) -> tuple[OrderTimelineEntry, ...]:
    """Each state the order reached and each carrier tracking event, live or archived, in event
    time (a scan that arrives late sorts where it happened); ties go state change first, then row
    id, so the same rows always read in the same order. At most five queries, however long the timeline."""
    labels = dict(OrderState.choices)
    events = tracking_events_for_order(order_id=order.id, archived=order.is_archived)
    roles = _distribution_roles(order_id=order.id) if events else {}
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
            carrier_words=event.description,
            leg_role=roles.get(event.distribution_order_id, ""),
        )
        for event in events
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
class BuyerTracking:
    """What a buyer may see of a shipment: no names, streets, phones or emails of the parties;
    city and country only; no actors or reasons in the timeline. The shop's name and logo are
    public. Once a line haul's last mile has the parcel, its carrier and number are the ones that
    count at the door (`last_mile_*`); `estimated_delivery` is (earliest, latest) from the
    booking day and the route's transit days, while the parcel is still on its way."""

    number: str
    state: str
    state_label: str
    carrier_code: str
    tracking_number: str
    origin_country: str
    destination_city: str
    destination_country: str
    timeline: tuple[TimelineLine, ...]
    merchant_name: str = ""
    merchant_id: int = 0
    merchant_logo: str = ""  # the logo's file name, "" without one
    first_carrier_code: str = ""
    first_tracking_number: str = ""
    last_mile_carrier_code: str = ""
    last_mile_tracking_number: str = ""
    estimated_delivery: tuple[date, date] | None = None

    @property
    def estimated_delivery_earliest(self) -> date | None:
        return self.estimated_delivery[0] if self.estimated_delivery else None

    @property
    def estimated_delivery_latest(self) -> date | None:
        return self.estimated_delivery[1] if self.estimated_delivery else None


def _estimated_delivery(order, deliveries: list, roles: dict[int, str]) -> tuple[date, date] | None:
    """The first booked delivery's day plus its service's transit days (as quoted: for a line
    haul's first mile, the whole route); None when delivered, closed, or nothing is booked."""
    if order.state in ("delivered", "returned", "cancelled"):
        return None
    booked = [d for d in deliveries if d.booked_at is not None and roles.get(d.pk) != "last_mile"]
    if not booked:
        return None
    days = service_transit_days(carrier_code=booked[0].carrier_code, service_code=booked[0].service_code)
    if days is None:
        return None
    start = booked[0].booked_at.date()
    return start + timedelta(days=days[0]), start + timedelta(days=days[1])


def buyer_tracking(*, tracking_number: str = "", number: str = "", postal_code: str = "") -> BuyerTracking | None:
    """The public view of a shipment, found by tracking number or by order number and postcode."""
    order = order_find_for_buyer(tracking_number=tracking_number, number=number, postal_code=postal_code)
    if order is None:
        return None
    deliveries = list(distribution_orders_for_order(order_id=order.id))
    roles = _distribution_roles(order_id=order.id) if deliveries else {}
    first = next((d for d in deliveries if d.tracking_number and roles.get(d.pk) != "last_mile"), None)
    last_mile = next((d for d in reversed(deliveries) if d.tracking_number and roles.get(d.pk) == "last_mile"), None)
    merchant = merchant_public(merchant_id=order.merchant_id)
    return BuyerTracking(
        number=order.number,
        state=order.state,
        state_label=dict(OrderState.choices).get(order.state, order.state),
        carrier_code=order.carrier_code,
        tracking_number=order.tracking_number,
        origin_country=order.sender_country,
        destination_city=order.recipient_city,
        destination_country=order.recipient_country,
        timeline=buyer_timeline(order_timeline(order=order)),
        merchant_name=merchant.name if merchant else "",
        merchant_id=order.merchant_id,
        merchant_logo=merchant.logo_name if merchant else "",
        first_carrier_code=first.carrier_code if first else "",
        first_tracking_number=first.tracking_number if first else "",
        last_mile_carrier_code=last_mile.carrier_code if last_mile else "",
        last_mile_tracking_number=last_mile.tracking_number if last_mile else "",
        estimated_delivery=_estimated_delivery(order, deliveries, roles),
    )
