"""Writes of the order center. Each takes the row lock, takes the transition, records the event."""

import functools
import logging

from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext
from django_fsm import ConcurrentTransition

from apps.common import rows
from apps.common.fsm import TransitionNotAllowed, forward_path, take_transition
from apps.common.models import OutboxEvent
from apps.orders import events
from apps.orders.exceptions import (
    DuplicateReference,
    OrderArchived,
    OrderNotCancellable,
    OrderNotFound,
    OrderStateConflict,
)
from apps.orders.models import (
    CANCELLABLE,
    CARRIER_PROGRESS,
    ArchivedOrder,
    Item,
    Order,
    OrderState,
    OrderTransition,
    Parcel,
)
from apps.orders.types import AddressDraft, OrderDraft, OrderRoute

S = OrderState

logger = logging.getLogger(__name__)


# Events are named after the state reached, except where the transition says more.
_EVENT_OF_TRANSITION = {"reroute": events.ORDER_REROUTED}


def _address_fields(prefix: str, address: AddressDraft) -> dict:
    return {f"{prefix}_{name}": value for name, value in vars(address).items()}


# The items' rows carry their parcel's sequence where the key goes: the key is assigned by the
# same statement.
_PARCEL_OF_ITEM = {"parcel_id": "(SELECT id FROM new_parcels p WHERE p.sequence = r.parcel_id)"}


@functools.cache
def _order_insert_sql() -> str:
    """One INSERT of an order with its parcels, items, first history row and event.

    Data-modifying CTEs, so the five tables cost one round trip, and one statement is atomic by
    itself: PostgreSQL writes all of its rows or none. The foreign keys are deferred to the end
    of the transaction, by which the whole statement has run. Its five parameters are the
    tables' rows as JSON (`rows.json_rows`).
    """
    return (
        f"WITH new_order AS ({rows.json_insert_sql(Order, '%s')}),"
        f" new_parcels AS ({rows.json_insert_sql(Parcel, '%s', returning='id, sequence')}),"
        f" new_items AS ({rows.json_insert_sql(Item, '%s', expressions=_PARCEL_OF_ITEM)}),"
        f" new_history AS ({rows.json_insert_sql(OrderTransition, '%s')})"
        f" {rows.json_insert_sql(OutboxEvent, '%s')}"
    )


def _execute_atomically(sql: str, params: list) -> None:
    """Run one statement as a transaction of its own, or in the caller's under a savepoint."""
    if connection.in_atomic_block:
        # The savepoint keeps the caller's transaction usable after a refusal (a duplicate reference).
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    else:
        # A statement is a transaction by itself: BEGIN and COMMIT would be two more round trips.
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


def _from_warehouse(order: Order) -> dict:
    # The resource center counts a warehouse's orders per day (its daily capacity) from this, and
    # for an order split across warehouses, each further part's warehouse and service too.
    if not order.warehouse_code:
        return {}
    parts = (order.route_explanation or {}).get("parts") or []
    further = [
        {"warehouse_code": p["warehouse"], "carrier_code": p["carrier"], "service_code": p["service"]}
        for p in parts[1:]
    ]
    return {"warehouse_code": order.warehouse_code, **({"further_parts": further} if further else {})}


def order_create(*, merchant_id: int, draft: OrderDraft, route: OrderRoute, actor: str, channel: str) -> Order:
    """Record a validated, routed order and its `orders.order.accepted` event in one transaction.

    This is the intake's hot path: all rows go in one statement (`_order_insert_sql`), and a
    second order with the merchant's reference is refused by the unique constraint rather than
    by a lock or a lookup first.
    """
    order = Order(
        merchant_id=merchant_id,
        reference=draft.reference,
        service_level=draft.service_level,
        channel=channel,
        carrier_code=route.carrier_code,
        service_code=route.service_code,
        warehouse_code=route.warehouse_code,
        quoted_price=route.price,
        quoted_currency=route.currency,
        route_explanation=route.explanation,
        **_address_fields("sender", draft.sender),
        **_address_fields("recipient", draft.recipient),
    )
    parcels = [
        Parcel(
            order=order,
            merchant_id=merchant_id,
            sequence=sequence,
            weight_g=parcel_draft.weight_g,
            length_mm=parcel_draft.length_mm,
            width_mm=parcel_draft.width_mm,
            height_mm=parcel_draft.height_mm,
        )
        for sequence, parcel_draft in enumerate(draft.parcels, start=1)
    ]
    items = [
        Item(parcel=parcel, merchant_id=merchant_id, **vars(item))
        for parcel, parcel_draft in zip(parcels, draft.parcels, strict=True)
        for item in parcel_draft.items
    ]
    history = OrderTransition(
        order=order,
        merchant_id=merchant_id,
        transition="create",
        from_state="",
        to_state=order.state,
        actor=actor,
        reason=f"received via {channel}",
    )
    params = [
        rows.json_rows([order]),
        rows.json_rows(parcels),
        rows.json_rows(items, replacing={"parcel_id": lambda item: item.parcel.sequence}),
        rows.json_rows([history]),
        rows.json_rows([events.order_event_row(order, events.ORDER_ACCEPTED, actor=actor, **_from_warehouse(order))]),
    ]
    try:
        _execute_atomically(_order_insert_sql(), params)
    except IntegrityError as exc:
        if "order_reference_unique" in str(exc):
            existing = Order.objects.filter(merchant_id=merchant_id, reference=draft.reference).first()
            raise DuplicateReference(
                gettext("An order with reference %(reference)r already exists.") % {"reference": draft.reference},
                extra={"order_id": str(existing.id) if existing else None, "reference": draft.reference},
            ) from exc
        raise
    rows.mark_saved(order)
    # Ids and the route only: the parties' names, addresses, phones and emails are never logged.
    logger.info(
        "order %s accepted via %s for merchant %s (%s %s)",
        order.id,
        channel,
        merchant_id,
        route.carrier_code or route.warehouse_code,
        route.service_code,
        extra={"order_id": str(order.id)},
    )
    return order


def _locked(order_id: int) -> Order:
    try:
        return Order.objects.select_for_update().get(pk=order_id)
    except Order.DoesNotExist as exc:
        raise OrderNotFound(gettext("Order %(id)s does not exist.") % {"id": order_id}) from exc


def _take(order: Order, transition: str, *, actor: str, reason: str = "") -> Order:
    try:
        take_transition(order, transition, actor=actor, reason=reason)
    except (TransitionNotAllowed, ConcurrentTransition) as exc:
        raise OrderStateConflict(
            gettext("Order %(number)s is “%(state)s”; it cannot %(step)s now.")
            % {"number": order.number, "state": order.get_state_display(), "step": transition.replace("_", " ")},
            extra={"order_id": str(order.id), "state": order.state},
        ) from exc
    events.order_event(
        order, _EVENT_OF_TRANSITION.get(transition) or events.order_state_event(order.state), actor=actor, reason=reason
    )
    return order


def order_schedule(*, order_id: int, lane: str, actor: str) -> Order:
    with transaction.atomic():
        return _take(_locked(order_id), "schedule", actor=actor, reason=f"queued on lane {lane}")


def order_start_fulfillment(*, order_id: int, actor: str) -> Order:
    with transaction.atomic():
        return _take(_locked(order_id), "start_fulfillment", actor=actor, reason="released to fulfilment")


def order_advance(*, order_id: int, target: str, actor: str, reason: str = "") -> Order:
    """Move the order forward to `target` through every state in between; never backwards.

    Carrier news arrives late and out of order: news of a state the order has passed is a
    no-op; news beyond the next state walks the shortest chain of steps, each recorded.
    """
    with transaction.atomic():
        order = _locked(order_id)
        if order.state == target:
            return order
        rank = CARRIER_PROGRESS.rank
        if order.state not in rank or target not in rank:
            raise OrderStateConflict(
                f"Order {order.number} is {order.state}; progress to {target} does not apply.",
                extra={"order_id": str(order.id), "state": order.state},
            )
        if rank[target] < rank[order.state] or order.is_final:
            return order
        steps = forward_path(Order, source=order.state, target=target, allowed=CARRIER_PROGRESS.transition_names)
        if not steps:
            raise OrderStateConflict(
                f"Order {order.number} cannot go from {order.state} to {target}.",
                extra={"order_id": str(order.id), "state": order.state},
            )
        for transition, _ in steps:
            _take(order, transition, actor=actor, reason=reason)
        return order


def order_reroute(*, order_id: int, route: OrderRoute, actor: str, reason: str) -> Order:
    """Route the order to another carrier service: its booking failed for good, or operations
    moved it (the shipping center chooses the route either way)."""
    with transaction.atomic():
        order = _locked(order_id)
        previous = f"{order.carrier_code}/{order.service_code}"
        order.carrier_code, order.service_code = route.carrier_code, route.service_code
        order.quoted_price, order.quoted_currency = route.price, route.currency
        order.route_explanation = {**route.explanation, "rerouted_from": previous}
        order.tracking_number = ""
        return _take(
            order,
            "reroute",
            actor=actor,
            reason=f"{reason}; re-routed from {previous} to {route.carrier_code}/{route.service_code}",
        )


def order_record_booking(*, order_id: int, carrier_code: str, tracking_number: str, actor: str) -> Order:
    """Keep the carrier's tracking number on the order, where merchants and buyers look for it."""
    with transaction.atomic():
        order = _locked(order_id)
        if order.tracking_number == tracking_number:
            return order
        order.tracking_number = tracking_number
        order.carrier_code = carrier_code
        order.version += 1
        order.save(update_fields=["tracking_number", "carrier_code", "version", "updated_at"])
        events.order_event(order, events.ORDER_BOOKED, actor=actor)
        return order


@transaction.atomic
def order_cancel(
    *, merchant_id: int, order_id: int, actor: str, reason: str = "", expected_version: int | None = None
) -> Order:
    """Call an order back before hand-over. With `expected_version`, refuse if it changed since read."""
    try:
        order = _locked(order_id)
    except OrderNotFound:
        if ArchivedOrder.objects.filter(merchant_id=merchant_id, pk=order_id).exists():
            raise OrderArchived(
                gettext("Order %(id)s is archived: it was closed long ago and can no longer change.")
                % {"id": order_id},
                extra={"order_id": str(order_id)},
            ) from None
        raise
    if order.merchant_id != merchant_id:
        raise OrderNotFound(gettext("Order %(id)s does not exist.") % {"id": order_id})
    if expected_version is not None and expected_version != order.version:
        raise OrderStateConflict(
            gettext("Order %(number)s changed since version %(expected)s; it is now version %(version)s.")
            % {"number": order.number, "expected": expected_version, "version": order.version},
            code="version_conflict",
            extra={"order_id": str(order.id), "state": order.state, "version": order.version},
        )
    if order.state not in CANCELLABLE:
        raise OrderNotCancellable(
            gettext("Order %(number)s is “%(state)s”; only orders not yet handed to a carrier can be cancelled.")
            % {"number": order.number, "state": order.get_state_display()},
            extra={"order_id": str(order.id), "state": order.state},
        )
    return _take(order, "cancel", actor=actor, reason=reason or "cancelled by merchant")


def order_flag_exception(*, order_id: int, actor: str, reason: str) -> Order:
    with transaction.atomic():
        return _take(_locked(order_id), "flag_exception", actor=actor, reason=reason)
