"""Reads of the distribution center."""

import dataclasses
from dataclasses import dataclass

from django.db.models import Aggregate, Count, FloatField, Q, QuerySet
from django.utils import timezone

from apps.common.stuck import StuckGroup, stuck_groups
from apps.distribution.archiving import archived_tracking_events
from apps.distribution.documents import ShipmentDocument
from apps.distribution.health import CircuitStatus, circuit_status
from apps.distribution.models import TRACKABLE, CarrierCall, DistributionOrder, TrackingEvent
from apps.distribution.shipments import PARTY_FIELDS, Shipment, ShipmentItem, ShipmentParcel
from apps.orders.selectors import order_get_for_fulfillment, orders_get_for_fulfillment


class Percentile(Aggregate):
    """PostgreSQL's percentile_cont over the calls' durations."""

    function = "percentile_cont"
    template = "%(function)s(%(percentile)s) WITHIN GROUP (ORDER BY duration_ms)"
    output_field = FloatField()

    def __init__(self, percentile: float, **extra):
        super().__init__("duration_ms", percentile=percentile, **extra)


def distribution_order_get(*, distribution_order_id: int) -> DistributionOrder:
    return DistributionOrder.objects.get(pk=distribution_order_id)


def distribution_orders_for_order(*, order_id: int) -> QuerySet[DistributionOrder]:
    return DistributionOrder.objects.filter(order_id=order_id).order_by("id")


def shipment_of_order(*, order_id: int) -> Shipment:
    """A frozen snapshot of what the order ships: its number, the two parties and its parcels with their items."""
    return _shipment(order_get_for_fulfillment(order_id=order_id))


def _shipment(order) -> Shipment:
    return Shipment(
        order_number=order.number,
        reference=order.reference,
        sender={field: getattr(order, f"sender_{field}") for field in PARTY_FIELDS},
        recipient={field: getattr(order, f"recipient_{field}") for field in PARTY_FIELDS},
        parcels=tuple(
            ShipmentParcel(
                weight_g=parcel.weight_g,
                length_mm=parcel.length_mm,
                width_mm=parcel.width_mm,
                height_mm=parcel.height_mm,
                items=tuple(
                    ShipmentItem(
                        description=item.description,
                        quantity=item.quantity,
                        unit_value=item.unit_value,
                        currency=item.currency,
                        hs_code=item.hs_code,
                        origin_country=item.origin_country,
                    )
                    for item in parcel.items.all()
                ),
            )
            for parcel in order.parcels.all()
        ),
    )


def carrier_calls_for_orders(*, distribution_order_ids: list[int], limit: int = 200) -> QuerySet[CarrierCall]:
    """The calls made to carriers for these distribution orders, oldest first."""
    return CarrierCall.objects.filter(distribution_order_id__in=distribution_order_ids).order_by("created_at", "id")[
        :limit
    ]


def tracking_events_for_order(*, order_id: int, archived: bool | None = None) -> list[TrackingEvent]:
    """The carrier's tracking events for the order, oldest first, from the archive once archived
    (`archived`: the caller knows whether it is, which saves a read; None: look in both)."""
    if archived:
        return archived_tracking_events(order_id=order_id)
    events = list(TrackingEvent.objects.filter(order_id=order_id).order_by("occurred_at", "id"))
    return events or ([] if archived is False else archived_tracking_events(order_id=order_id))


def tracking_carriers_due() -> list[str]:
    """Carriers with at least one delivery whose next tracking poll is due."""
    return list(
        DistributionOrder.objects.filter(state__in=TRACKABLE, next_poll_at__lte=timezone.now())
        .order_by()
        .values_list("carrier_code", flat=True)
        .distinct()
    )


def tracking_due(*, carrier_code: str, limit: int) -> list[int]:
    """Up to `limit` of a carrier's deliveries due for a poll, longest due first (one batch)."""
    return list(
        DistributionOrder.objects.filter(
            carrier_code=carrier_code, state__in=TRACKABLE, next_poll_at__lte=timezone.now()
        )
        .order_by("next_poll_at")
        .values_list("pk", flat=True)[:limit]
    )


def carrier_circuit(*, carrier_code: str) -> CircuitStatus:
    """Whether the carrier is taking calls: `state` is closed, open, half-open or unknown (Redis not
    answering; `taking_calls` is false then, as when open)."""
    return circuit_status(carrier_code)


@dataclass(frozen=True)
class CarrierHealth:
    carrier_code: str
    circuit: CircuitStatus
    calls: int
    bookings: int
    booking_success_rate: float | None
    latency_p50_ms: int | None
    latency_p95_ms: int | None


def carrier_health_report(*, carrier_codes: list[str], since) -> list[CarrierHealth]:
    """Per carrier: its circuit, and over the window its calls, booking success rate and latency."""
    rows = (
        CarrierCall.objects.filter(created_at__gte=since, carrier_code__in=carrier_codes)
        .values("carrier_code")
        .annotate(
            calls=Count("id"),
            bookings=Count("id", filter=Q(operation="book")),
            booked=Count("id", filter=Q(operation="book", outcome="ok")),
            p50=Percentile(0.5),
            p95=Percentile(0.95),
        )
    )
    by_code = {row["carrier_code"]: row for row in rows}
    report = []
    for code in carrier_codes:
        row = by_code.get(code, {})
        bookings = row.get("bookings", 0)
        report.append(
            CarrierHealth(
                carrier_code=code,
                circuit=circuit_status(code),
                calls=row.get("calls", 0),
                bookings=bookings,
                booking_success_rate=row["booked"] / bookings if bookings else None,
                latency_p50_ms=int(row["p50"]) if row.get("p50") is not None else None,
                latency_p95_ms=int(row["p95"]) if row.get("p95") is not None else None,
            )
        )
    return report


def distribution_orders_stuck(*, older_than) -> QuerySet[DistributionOrder]:
    """Deliveries that have not moved for longer than `older_than` while still in the platform's hands
    or the carrier's: waiting to book, booking, or tracked without news."""
    return DistributionOrder.objects.filter(
        state__in=["created", "booking", *TRACKABLE], updated_at__lt=timezone.now() - older_than
    )


def distribution_orders_stuck_groups(*, older_than, sample: int = 10) -> list[StuckGroup]:
    """`distribution_orders_stuck` by reason: booking not finished, booked but not collected, or
    with the carrier and no tracking news."""
    return stuck_groups(
        center="distribution",
        kind="distribution_order",
        queryset=distribution_orders_stuck(older_than=older_than),
        reasons=[
            ("booking not finished", Q(state__in=["created", "booking"])),
            ("booked, not collected", Q(state="booked")),
            ("with the carrier, no tracking news", Q(state__in=TRACKABLE)),
        ],
        since_field="updated_at",
        detail=lambda d: (
            f"{d.carrier_code}/{d.service_code} {d.state}, attempts {d.booking_attempts}"
            + (f": {d.last_error}" if d.last_error else "")
        ),
        sample=sample,
    )


def shipping_documents_pdf(*, order_id: int) -> bytes | None:
    """The labels and customs declaration of the order's current delivery, once booked."""
    labelled = DistributionOrder.objects.filter(order_id=order_id).exclude(tracking_number="").order_by("-id")
    latest = labelled.only("label_pdf").first()
    return bytes(latest.label_pdf) if latest and latest.label_pdf else None


def labelled_order_ids(*, order_ids: list[int]) -> set[int]:
    """Those of `order_ids` whose current delivery has its documents (label and customs form)."""
    return set(
        DistributionOrder.objects.filter(order_id__in=order_ids)
        .exclude(tracking_number="")
        .exclude(label_pdf=b"")
        .values_list("order_id", flat=True)
    )


def shipment_as_carried(distribution_order: DistributionOrder, shipment: Shipment) -> Shipment:
    """The shipment as this leg carries it: to a hub (first mile), from a warehouse with the
    parcels it packed (the order's items, for customs, on the first of them)."""
    if distribution_order.deliver_to:
        shipment = dataclasses.replace(shipment, recipient=distribution_order.deliver_to)
    if distribution_order.ship_from:
        shipment = dataclasses.replace(shipment, sender=distribution_order.ship_from)
    if distribution_order.packed_parcels:
        items = tuple(item for parcel in shipment.parcels for item in parcel.items)
        shipment = dataclasses.replace(
            shipment,
            parcels=tuple(
                ShipmentParcel(
                    weight_g=p["weight_g"],
                    length_mm=p["length_mm"],
                    width_mm=p["width_mm"],
                    height_mm=p["height_mm"],
                    items=items if n == 0 else (),
                )
                for n, p in enumerate(distribution_order.packed_parcels)
            ),
        )
    return shipment


@dataclass(frozen=True)
class OrderDocuments:
    """An order's current delivery as its documents show it, and the order's own shipment (whose
    recipient is the buyer even when the delivery goes to a hub), for a packing slip."""

    order_id: int
    document: ShipmentDocument
    shipment: Shipment


def shipping_documents_of_orders(*, order_ids: list[int]) -> dict[int, OrderDocuments]:
    """For each labelled order of `order_ids`, what its documents show (latest labelled delivery),
    in a fixed number of queries: order id -> OrderDocuments. Orders not labelled yet are missing."""
    legs = (
        DistributionOrder.objects.filter(order_id__in=order_ids)
        .exclude(tracking_number="")
        .exclude(label_pdf=b"")
        .order_by("order_id", "-id")
        .distinct("order_id")
        .only(
            "order_id", "carrier_code", "service_code", "tracking_number", "deliver_to", "ship_from", "packed_parcels"
        )
    )
    legs = {leg.order_id: leg for leg in legs}
    shipments = {order.id: _shipment(order) for order in orders_get_for_fulfillment(order_ids=list(legs))}
    return {
        order_id: OrderDocuments(
            order_id=order_id,
            document=ShipmentDocument(
                shipment=shipment_as_carried(leg, shipments[order_id]),
                carrier_code=leg.carrier_code,
                service_code=leg.service_code,
                tracking_number=leg.tracking_number,
            ),
            shipment=shipments[order_id],
        )
        for order_id, leg in legs.items()
        if order_id in shipments
    }
