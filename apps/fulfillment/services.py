"""Writes of the fulfilment center: an order's plan of legs, its containers, and the steps that
undo a leg.

A released order becomes a plan (`FulfillmentOrder`) of legs, each carried out by a lower center:
- a carrier leg alone (the carrier takes the parcel the whole way);
- a warehouse leg then a carrier leg, when the order ships from a warehouse's stock: the
  warehouse order (stock reserved, sent to the WMS through the warehouse's lane), then, once the
  WMS has packed it, a delivery from the warehouse with the parcels as packed (weights and sizes
  from the WMS), booked through the carrier's lane;
- first mile, line haul and last mile, when its service is the first mile of a line haul: a
  domestic delivery to the origin hub, a place in that line haul's container of the next departure
  (closed at its cut-off, departed and arrived as operations record), then a delivery by the
  destination carrier, whose tracking number the buyer sees from then on.
The order's progress is derived from its legs' news. A leg is undone by `PlanStep`s, recorded
before they run and retried until done (`fulfillment_steps_retry`).
"""

import logging
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.common.exceptions import DomainError
from apps.common.fsm import take_transition
from apps.distribution.exceptions import DistributionNotCancellable
from apps.distribution.selectors import distribution_order_get
from apps.distribution.services import distribution_order_cancel, distribution_order_create
from apps.fulfillment import events
from apps.fulfillment.models import (
    Consolidation,
    ConsolidationParcel,
    ConsolidationState,
    FulfillmentLeg,
    FulfillmentOrder,
    FulfillmentState,
    PlanStep,
)
from apps.orders.exceptions import OrderStateConflict
from apps.orders.selectors import order_get_for_fulfillment
from apps.orders.services import (
    order_advance,
    order_cancel,
    order_flag_exception,
    order_record_booking,
    order_start_fulfillment,
)
from apps.resources.selectors import line_haul_for_service, line_haul_get, warehouse_ship_by, warehouse_ship_from
from apps.warehouse.exceptions import WarehouseOrderNotCancellable
from apps.warehouse.selectors import warehouse_order_get, warehouse_orders_reserved_at_intake
from apps.warehouse.services import warehouse_order_cancel, warehouse_order_confirm, warehouse_order_create

logger = logging.getLogger(__name__)

ACTOR = "system:fulfillment"
# What a distribution leg's state means for the order.
_ORDER_PROGRESS = {
    "picked_up": "handed_over",
    "in_transit": "in_transit",
    "customs_hold": "customs_hold",
    "out_for_delivery": "out_for_delivery",
    "delivery_failed": "delivery_failed",
    "delivered": "delivered",
    "returned": "returned",
}


def _add_leg(
    fulfillment: FulfillmentOrder, *, kind: str, role: str, leg_id: int, state: str, part: int = 0
) -> FulfillmentLeg:
    return FulfillmentLeg.objects.create(
        fulfillment_order=fulfillment,
        merchant_id=fulfillment.merchant_id,
        sequence=fulfillment.legs.count() + 1,
        kind=kind,
        role=role,
        leg_id=leg_id,
        state=state,
        part=part,
    )


def fulfillment_start(*, order_id: int, actor: str) -> FulfillmentOrder:
    """Plan a released order: a carrier leg with the service it is routed to, or, when that
    service is the first mile of a line haul, a first mile to the origin hub (the container and
    the last mile follow as the parcel gets there). A re-routed order comes back here and gets its
    next leg in the same plan.

    Idempotent: an order already in fulfilment with a leg keeps its plan (lane work that runs
    twice, after a lost worker or a doubled message, plans once)."""
    with transaction.atomic():
        order = order_get_for_fulfillment(order_id=order_id)
        fulfillment = FulfillmentOrder.objects.select_for_update().filter(order_id=order.id).first()
        if fulfillment is not None and order.state == "in_fulfillment" and fulfillment.legs.exists():
            return fulfillment
        if fulfillment is None:
            fulfillment = FulfillmentOrder.objects.create(order_id=order.id, merchant_id=order.merchant_id)
            fulfillment.history.create(
                merchant_id=order.merchant_id,
                transition="create",
                from_state="",
                to_state=fulfillment.state,
                actor=actor,
            )
        elif fulfillment.state == FulfillmentState.FAILED:
            take_transition(fulfillment, "replan", actor=actor, reason=f"re-routed to {order.carrier_code}")
        if order.warehouse_code:
            _plan_from_warehouse(fulfillment, order)
            order_start_fulfillment(order_id=order.id, actor=actor)
            return fulfillment
        line_haul = line_haul_for_service(carrier_code=order.carrier_code, service_code=order.service_code)
        fulfillment.line_haul_code = line_haul.code if line_haul else ""
        fulfillment.save(update_fields=["line_haul_code", "updated_at"])
        distribution_order = distribution_order_create(
            order_id=order.id,
            merchant_id=order.merchant_id,
            carrier_code=order.carrier_code,
            service_code=order.service_code,
            actor=ACTOR,
            deliver_to=line_haul.hub_address if line_haul else None,
        )
        _add_leg(
            fulfillment,
            kind=FulfillmentLeg.Kind.DISTRIBUTION,
            role=FulfillmentLeg.Role.FIRST_MILE if line_haul else FulfillmentLeg.Role.CARRIER,
            leg_id=distribution_order.pk,
            state=distribution_order.state,
        )
        order_start_fulfillment(order_id=order.id, actor=actor)
    return fulfillment


def _recipient_of(order) -> dict[str, str]:
    return {
        "name": order.recipient_name,
        "company": order.recipient_company,
        "street1": order.recipient_line1,
        "street2": order.recipient_line2,
        "city": order.recipient_city,
        "state": order.recipient_state,
        "postcode": order.recipient_postal_code,
        "country": order.recipient_country,
        "phone": order.recipient_phone,
        "email": order.recipient_email,
    }


def _split_parts(order) -> list[dict]:
    """The parts of an order split across warehouses (shipping's `route_explanation["parts"]`),
    each with its warehouse, carrier and service; [] for an order from one warehouse."""
    parts = (order.route_explanation or {}).get("parts") or []
    return parts if len(parts) > 1 else []


def _plan_from_warehouse(fulfillment: FulfillmentOrder, order) -> None:
    """The warehouse legs first: the warehouse orders intake reserved (one per part of an order
    split across warehouses), confirmed now; for an order recorded without them, a warehouse order
    made now (stock reserved, or backordered until it comes). On a re-route of its carrier leg, a
    new carrier leg for the parcels the warehouse already packed."""
    warehouse_leg = fulfillment.legs.filter(kind=FulfillmentLeg.Kind.WAREHOUSE).order_by("-sequence").first()
    if warehouse_leg is None:
        reserved = warehouse_orders_reserved_at_intake(order_id=order.id)
        if reserved:
            parts = [p["warehouse"] for p in _split_parts(order)]
            for warehouse_order in sorted(reserved, key=lambda w: _part_number(parts, w.warehouse_code)):
                warehouse_order = warehouse_order_confirm(warehouse_order_id=warehouse_order.pk, actor=ACTOR)
                _add_leg(
                    fulfillment,
                    kind=FulfillmentLeg.Kind.WAREHOUSE,
                    role=FulfillmentLeg.Role.WAREHOUSE,
                    leg_id=warehouse_order.pk,
                    state=warehouse_order.state,
                    part=_part_number(parts, warehouse_order.warehouse_code),
                )
            return
        units: dict[str, int] = {}
        for parcel in order.parcels.all():
            for item in parcel.items.all():
                units[item.sku] = units.get(item.sku, 0) + item.quantity
        warehouse_order = warehouse_order_create(
            order_id=order.id,
            merchant_id=order.merchant_id,
            warehouse_code=order.warehouse_code,
            lines=sorted(units.items()),
            ship_to=_recipient_of(order),
            ship_by=warehouse_ship_by(code=order.warehouse_code, now=order.created_at),
            actor=ACTOR,
        )
        _add_leg(
            fulfillment,
            kind=FulfillmentLeg.Kind.WAREHOUSE,
            role=FulfillmentLeg.Role.WAREHOUSE,
            leg_id=warehouse_order.pk,
            state=warehouse_order.state,
        )
    elif warehouse_leg.state in ("packed", "partially_shipped", "shipped"):
        _plan_carrier_leg_from_warehouse(fulfillment, order_id=order.id, warehouse_leg=warehouse_leg)


def _part_number(parts: list[str], warehouse_code: str) -> int:
    """A split order's part shipped from the warehouse (1, 2, ...); 0 when the order is not split."""
    return parts.index(warehouse_code) + 1 if warehouse_code in parts else 0


def _plan_carrier_leg_from_warehouse(fulfillment: FulfillmentOrder, *, order_id: int, warehouse_leg) -> None:
    """The delivery of what the warehouse packed, from the warehouse, booked through the
    carrier's lane (`fulfillment.leg.planned`). A part of a split order goes by the carrier
    service routing chose for that part."""
    order = order_get_for_fulfillment(order_id=order_id)
    warehouse_order = warehouse_order_get(warehouse_order_id=warehouse_leg.leg_id)
    carrier_code, service_code = order.carrier_code, order.service_code
    if warehouse_leg.part:
        part = _split_parts(order)[warehouse_leg.part - 1]
        carrier_code, service_code = part["carrier"], part["service"]
    delivery = distribution_order_create(
        order_id=order.id,
        merchant_id=order.merchant_id,
        carrier_code=carrier_code,
        service_code=service_code,
        actor=ACTOR,
        ship_from=warehouse_ship_from(code=warehouse_order.warehouse_code),
        packed_parcels=[_in_grams_and_millimetres(p) for p in warehouse_order.parcels],
    )
    _add_leg(
        fulfillment,
        kind=FulfillmentLeg.Kind.DISTRIBUTION,
        role=FulfillmentLeg.Role.CARRIER,
        leg_id=delivery.pk,
        state=delivery.state,
        part=warehouse_leg.part,
    )
    events.leg_planned(fulfillment=fulfillment, distribution_order=delivery, actor=ACTOR)


def _in_grams_and_millimetres(parcel: dict[str, str]) -> dict[str, int]:
    return {
        "weight_g": max(1, round(Decimal(parcel["weight_kg"]) * 1000)),
        "length_mm": max(1, round(Decimal(parcel["length_cm"]) * 10)),
        "width_mm": max(1, round(Decimal(parcel["width_cm"]) * 10)),
        "height_mm": max(1, round(Decimal(parcel["height_cm"]) * 10)),
    }


# What a warehouse order's end means for the plan: the WMS could not fulfil it.
_WAREHOUSE_FAILED = frozenset({"rejected", "incomplete"})


def fulfillment_warehouse_leg_changed(
    *, warehouse_order_id: int, state: str, version: int, reason: str = ""
) -> FulfillmentLeg | None:
    """Take in a warehouse leg's news: once the WMS has packed the goods, plan the carrier leg
    for the parcels as packed; when the WMS rejects the order, cancels it or ships nothing, the
    plan fails and the order goes to a person with the reason. News older than the leg's last is
    dropped (as for distribution legs). A warehouse order no plan knows (one made by hand in the
    portal) is left alone."""
    with transaction.atomic():
        leg = (
            FulfillmentLeg.objects.select_for_update()
            .select_related("fulfillment_order")
            .filter(kind=FulfillmentLeg.Kind.WAREHOUSE, leg_id=warehouse_order_id)
            .first()
        )
        if leg is None or version <= leg.reported_version:
            return leg
        leg.state, leg.reported_version = state, version
        leg.save(update_fields=["state", "reported_version", "updated_at"])
        fulfillment = leg.fulfillment_order
        if fulfillment.state != FulfillmentState.IN_PROGRESS:
            return leg
        has_carrier_leg = fulfillment.legs.filter(sequence__gt=leg.sequence, part=leg.part).exists()
        if state in ("packed", "partially_shipped", "shipped") and not has_carrier_leg:
            _plan_carrier_leg_from_warehouse(fulfillment, order_id=fulfillment.order_id, warehouse_leg=leg)
        elif state == "cancelled" and not has_carrier_leg:
            # Only a cancel someone asked for ends here (the WMS rejects, it does not cancel): now
            # that the WMS confirmed it, the order is cancelled too.
            try:
                order_cancel(
                    merchant_id=fulfillment.merchant_id,
                    order_id=fulfillment.order_id,
                    actor=ACTOR,
                    reason=f"cancelled at the warehouse: {reason}" if reason else "cancelled at the warehouse",
                )
            except DomainError as exc:
                logger.warning("order %s cannot follow its cancelled warehouse order: %s", fulfillment.order_id, exc)
        elif state in _WAREHOUSE_FAILED and not has_carrier_leg:
            take_transition(fulfillment, "fail", actor=ACTOR, reason=f"warehouse order {state}: {reason}")
            _flag(fulfillment.order_id, f"the warehouse could not fulfil it ({state}: {reason or 'no reason given'})")
    return leg


def _order_follows(leg: FulfillmentLeg, leg_state: str, *, carrier_code: str, reason: str) -> None:
    fulfillment = leg.fulfillment_order
    later = fulfillment.legs.filter(sequence__gt=leg.sequence, kind=FulfillmentLeg.Kind.DISTRIBUTION, part=leg.part)
    if later.exists():
        return  # news of a leg the order has moved on from (re-routed, or a first mile left behind)
    order_id = fulfillment.order_id
    first_mile = leg.role == FulfillmentLeg.Role.FIRST_MILE
    # A first mile ends at the origin hub: for the buyer the parcel is on its way, not delivered.
    progress = "in_transit" if first_mile and leg_state in ("delivered", "out_for_delivery") else None
    progress = progress or _ORDER_PROGRESS.get(leg_state)
    if leg.part and leg_state in ("delivered", "returned") and not _every_part_ended(fulfillment):
        # A split order moves with its most advanced part, but is delivered (or returned) only
        # once every part is: until then its timeline shows the part that arrived.
        return
    try:
        if progress:
            order_advance(
                order_id=order_id,
                target=progress,
                actor=ACTOR,
                reason=reason or f"carrier {carrier_code} reports {leg_state.replace('_', ' ')}",
            )
        elif leg_state == "exception":
            order_flag_exception(order_id=order_id, actor=ACTOR, reason=f"{carrier_code}: {reason or leg_state}")
    except OrderStateConflict as exc:
        # The order was cancelled or flagged meanwhile: the leg keeps the news, the order its state.
        logger.warning("order %s cannot follow its leg (%s): %s", order_id, leg_state, exc)
    if fulfillment.state != FulfillmentState.IN_PROGRESS:
        return
    if first_mile and leg_state == "delivered":
        _consolidate(fulfillment, now=timezone.now())
    elif leg_state in ("delivered", "returned"):
        take_transition(fulfillment, "complete", actor=ACTOR, reason=leg_state)
    elif leg_state == "booking_failed" and leg.role == FulfillmentLeg.Role.LAST_MILE:
        # The parcel waits at the destination hub: a new route from the origin cannot help it.
        take_transition(fulfillment, "fail", actor=ACTOR, reason=reason)
        _flag(order_id, f"last mile at {carrier_code} could not be booked ({reason}); the parcel waits at the hub")
    elif leg_state == "booking_failed" and leg.part:
        # One part of a split order, packed at its warehouse: a new route for the order cannot help it.
        take_transition(fulfillment, "fail", actor=ACTOR, reason=reason)
        _flag(order_id, f"part {leg.part} at {carrier_code} could not be booked ({reason}); it waits at the warehouse")
    elif leg_state == "booking_failed":
        # A failed booking is the shipping center's to decide on (re-route or flag); the plan waits.
        take_transition(fulfillment, "fail", actor=ACTOR, reason=reason)


def _every_part_ended(fulfillment: FulfillmentOrder) -> bool:
    """Whether each part of a split order has its latest carrier leg delivered or returned."""
    latest: dict[int, str] = {}
    for part, state in (
        fulfillment.legs.filter(kind=FulfillmentLeg.Kind.DISTRIBUTION).order_by("sequence").values_list("part", "state")
    ):
        latest[part] = state
    parts = set(fulfillment.legs.filter(kind=FulfillmentLeg.Kind.WAREHOUSE).values_list("part", flat=True))
    return parts <= set(latest) and all(state in ("delivered", "returned") for state in latest.values())


def _flag(order_id: int, reason: str) -> None:
    try:
        order_flag_exception(order_id=order_id, actor=ACTOR, reason=reason)
    except OrderStateConflict as exc:
        logger.warning("order %s cannot be flagged: %s", order_id, exc)


def fulfillment_distribution_leg_changed(
    *, distribution_order_id: int, state: str, version: int, reason: str = ""
) -> FulfillmentLeg:
    """Take in a distribution leg's news and move the order accordingly.

    News is handled in parallel and can arrive out of order: each piece carries the leg's
    version, and news older than what the leg already reported is dropped, so the order never
    follows a stale state. Within that, every state the leg passed is passed on to the order.
    """
    with transaction.atomic():
        leg = (
            FulfillmentLeg.objects.select_for_update()
            .select_related("fulfillment_order")
            .get(kind=FulfillmentLeg.Kind.DISTRIBUTION, leg_id=distribution_order_id)
        )
        if version <= leg.reported_version:
            return leg
        leg.state, leg.reported_version = state, version
        leg.save(update_fields=["state", "reported_version", "updated_at"])
        fulfillment = leg.fulfillment_order
        distribution_order = distribution_order_get(distribution_order_id=distribution_order_id)
        later_legs = fulfillment.legs.filter(
            sequence__gt=leg.sequence, kind=FulfillmentLeg.Kind.DISTRIBUTION, part=leg.part
        )
        # A split order carries its first part's tracking number; the others are in its timeline.
        if distribution_order.tracking_number and not later_legs.exists() and leg.part <= 1:
            order_record_booking(
                order_id=fulfillment.order_id,
                carrier_code=distribution_order.carrier_code,
                tracking_number=distribution_order.tracking_number,
                actor=ACTOR,
            )
        _order_follows(leg, state, carrier_code=distribution_order.carrier_code, reason=reason)
    return leg


def _consolidate(fulfillment: FulfillmentOrder, *, now: datetime) -> ConsolidationParcel:
    """The first mile reached the origin hub: the parcel joins the container of the next departure
    that still takes it (one container per line haul and departure day)."""
    line_haul = line_haul_get(code=fulfillment.line_haul_code)
    departs_on = line_haul.next_departure(now)
    container, created = Consolidation.objects.get_or_create(
        line_haul_code=line_haul.code,
        departs_on=departs_on,
        defaults={"closes_at": line_haul.closes_at(departs_on)},
    )
    if created:
        container.history.create(
            merchant_id=0, transition="create", from_state="", to_state=container.state, actor=ACTOR
        )
    parcel, _ = ConsolidationParcel.objects.get_or_create(
        order_id=fulfillment.order_id, defaults={"consolidation": container, "merchant_id": fulfillment.merchant_id}
    )
    if not fulfillment.legs.filter(kind=FulfillmentLeg.Kind.LINE_HAUL, leg_id=parcel.pk).exists():
        _add_leg(
            fulfillment,
            kind=FulfillmentLeg.Kind.LINE_HAUL,
            role=FulfillmentLeg.Role.LINE_HAUL,
            leg_id=parcel.pk,
            state=ConsolidationState.OPEN,
        )
    return parcel


def consolidations_close_due(*, now: datetime | None = None) -> int:
    """Close every open container whose cut-off has passed (beat); return how many. A parcel that
    reaches the hub afterwards goes into the next departure's container."""
    now = now or timezone.now()
    closed = 0
    due = Consolidation.objects.filter(state=ConsolidationState.OPEN, closes_at__lte=now).values_list("pk", flat=True)
    for container_id in due:
        with transaction.atomic():
            container = Consolidation.objects.select_for_update().get(pk=container_id)
            if container.state == ConsolidationState.OPEN:
                cut_off = f"cut-off {container.closes_at:%Y-%m-%d %H:%M} UTC"
                _move_container(container, "close", actor=ACTOR, reason=cut_off)
                closed += 1
    return closed


def _move_container(container: Consolidation, transition: str, *, actor: str, reason: str) -> None:
    take_transition(container, transition, actor=actor, reason=reason)
    FulfillmentLeg.objects.filter(kind=FulfillmentLeg.Kind.LINE_HAUL, leg_id__in=container.parcels.values("pk")).update(
        state=container.state, updated_at=timezone.now()
    )


def consolidation_depart(*, consolidation_id: int, container_number: str, actor: str) -> Consolidation:
    """The container left the origin hub (operations record it, with the container's number)."""
    with transaction.atomic():
        container = Consolidation.objects.select_for_update().get(pk=consolidation_id)
        container.container_number = container_number[:50]
        container.save(update_fields=["container_number", "updated_at"])
        _move_container(container, "depart", actor=actor, reason=f"container {container_number}")
    return container


def consolidation_arrive(*, consolidation_id: int, actor: str) -> Consolidation:
    """The container reached the destination hub: each parcel still in a plan gets its last mile,
    a delivery by the line haul's destination carrier, booked through that carrier's lane
    (`fulfillment.leg.planned`)."""
    with transaction.atomic():
        container = Consolidation.objects.select_for_update().get(pk=consolidation_id)
        line_haul = line_haul_get(code=container.line_haul_code)
        _move_container(container, "arrive", actor=actor, reason=f"at {line_haul.destination_hub}")
        plans = FulfillmentOrder.objects.select_for_update().filter(
            order_id__in=container.parcels.values("order_id"), state=FulfillmentState.IN_PROGRESS
        )
        for fulfillment in plans:
            last_mile = distribution_order_create(
                order_id=fulfillment.order_id,
                merchant_id=fulfillment.merchant_id,
                carrier_code=line_haul.last_mile_carrier_code,
                service_code=line_haul.last_mile_service_code,
                actor=ACTOR,
            )
            _add_leg(
                fulfillment,
                kind=FulfillmentLeg.Kind.DISTRIBUTION,
                role=FulfillmentLeg.Role.LAST_MILE,
                leg_id=last_mile.pk,
                state=last_mile.state,
            )
            events.leg_planned(fulfillment=fulfillment, distribution_order=last_mile, actor=actor)
    return container


# ---------------------------------------------------------------------------------------------
# Undoing legs


def _run_step(step: PlanStep, *, actor: str) -> None:
    """Run one recorded step in the caller's transaction; harmless to repeat."""
    step.attempts += 1
    leg = step.leg
    try:
        if step.action == PlanStep.Action.CANCEL_DELIVERY:
            distribution_order_cancel(distribution_order_id=leg.leg_id, actor=actor, reason=step.reason)
        elif step.action == PlanStep.Action.CANCEL_WAREHOUSE_ORDER:
            warehouse_order_cancel(warehouse_order_id=leg.leg_id, actor=actor, reason=step.reason)
        elif step.action == PlanStep.Action.WITHDRAW_FROM_CONTAINER:
            parcel = ConsolidationParcel.objects.select_related("consolidation").get(pk=leg.leg_id)
            if parcel.consolidation.state not in (ConsolidationState.OPEN, ConsolidationState.CLOSED):
                raise DistributionNotCancellable(f"its container {parcel.consolidation.state}")
            leg.state = "withdrawn"
            leg.save(update_fields=["state", "updated_at"])
        else:
            raise NotImplementedError(step.action)
    except (DistributionNotCancellable, WarehouseOrderNotCancellable) as exc:
        step.state, step.last_error = PlanStep.State.REFUSED, str(exc)[:500]
    else:
        step.state, step.done_at = PlanStep.State.DONE, timezone.now()
    step.save(update_fields=["attempts", "state", "last_error", "done_at"])


_UNDO = {
    FulfillmentLeg.Kind.WAREHOUSE: PlanStep.Action.CANCEL_WAREHOUSE_ORDER,
    FulfillmentLeg.Kind.DISTRIBUTION: PlanStep.Action.CANCEL_DELIVERY,
    FulfillmentLeg.Kind.LINE_HAUL: PlanStep.Action.WITHDRAW_FROM_CONTAINER,
}


def _run_pending_step(step_id: int, *, actor: str) -> bool:
    """Run a pending step in its own transaction; one that fails stays pending, with its error, for
    `fulfillment_steps_retry`. Return whether it ran to an end (done or refused)."""
    try:
        with transaction.atomic():
            step = PlanStep.objects.select_for_update(skip_locked=True).select_related("leg").filter(pk=step_id).first()
            if step is None or step.state != PlanStep.State.PENDING:
                return False
            _run_step(step, actor=actor)
        return True
    except Exception as exc:  # whatever stopped it, the step is kept and tried again by beat
        logger.warning("plan step %s failed, will retry: %s", step_id, exc)
        PlanStep.objects.filter(pk=step_id).update(attempts=F("attempts") + 1, last_error=str(exc)[:500])
        return False


def fulfillment_cancel(*, order_id: int, actor: str, reason: str) -> FulfillmentOrder | None:
    """The order was called back: record a step that undoes each leg (cancel its delivery, whose
    label is then voided at the carrier through its lane; take the parcel out of its container)
    and cancel the plan, then run the steps (an order not planned yet: its warehouse orders
    reserved at intake are cancelled, their stock released). A step the other side refuses is kept, refused, for a
    person; one that fails is retried (`fulfillment_steps_retry`)."""
    with transaction.atomic():
        fulfillment = FulfillmentOrder.objects.select_for_update().filter(order_id=order_id).first()
        if fulfillment is None:
            # Called back before it was planned: what intake reserved for it goes back at once.
            for warehouse_order in warehouse_orders_reserved_at_intake(order_id=order_id):
                warehouse_order_cancel(warehouse_order_id=warehouse_order.pk, actor=actor, reason=reason)
            return None
        for leg in fulfillment.legs.all():
            action = _UNDO.get(leg.kind)
            if action is not None:
                PlanStep.objects.get_or_create(
                    leg=leg, action=action, defaults={"fulfillment_order": fulfillment, "reason": reason[:300]}
                )
        if fulfillment.state in (FulfillmentState.IN_PROGRESS, FulfillmentState.FAILED):
            take_transition(fulfillment, "cancel", actor=actor, reason=reason)
    for step_id in fulfillment.steps.filter(state=PlanStep.State.PENDING).values_list("pk", flat=True):
        _run_pending_step(step_id, actor=actor)
    return fulfillment


def fulfillment_steps_retry(*, limit: int = 200) -> int:
    """Run again the steps that did not finish (beat, every minute); return how many ended now."""
    pending = PlanStep.objects.filter(state=PlanStep.State.PENDING).order_by("id").values_list("pk", flat=True)
    return sum(_run_pending_step(step_id, actor=ACTOR) for step_id in pending[:limit])
