"""Writes of the order center. Each takes the row lock, takes the transition, records the event."""

from django.db import IntegrityError, transaction
from django_fsm import ConcurrentTransition

from apps.common.fsm import TransitionNotAllowed, take_transition
from apps.orders import events
from apps.orders.exceptions import DuplicateReference, OrderNotCancellable, OrderNotFound, OrderStateConflict
from apps.orders.models import Item, Order, OrderState, OrderTransition, Parcel
from apps.orders.types import AddressDraft, OrderDraft, OrderRoute

S = OrderState
# The forward path an order walks once released; fulfilment reports progress along it.
PROGRESS_PATH = [S.IN_FULFILLMENT, S.IN_TRANSIT, S.DELIVERED]
_STEP_INTO = {S.IN_TRANSIT: "hand_over", S.DELIVERED: "deliver"}


def _address_fields(prefix: str, address: AddressDraft) -> dict:
    return {f"{prefix}_{name}": value for name, value in vars(address).items()}


def order_create(*, merchant_id: int, draft: OrderDraft, route: OrderRoute, actor: str, channel: str) -> Order:
    """Record a validated, routed order and its `orders.order.accepted` event in one transaction."""
    try:
        with transaction.atomic():
            order = Order.objects.create(
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
    except IntegrityError as exc:
        if "order_reference_unique" in str(exc):
            existing = Order.objects.filter(merchant_id=merchant_id, reference=draft.reference).first()
            raise DuplicateReference(
                f"An order with reference {draft.reference!r} already exists.",
                extra={"order_id": str(existing.id) if existing else None, "reference": draft.reference},
            ) from exc
        raise
    items = []
    for sequence, parcel_draft in enumerate(draft.parcels, start=1):
        parcel = Parcel.objects.create(
            order=order,
            merchant_id=merchant_id,
            sequence=sequence,
            weight_g=parcel_draft.weight_g,
            length_mm=parcel_draft.length_mm,
            width_mm=parcel_draft.width_mm,
            height_mm=parcel_draft.height_mm,
        )
        items.extend(Item(parcel=parcel, merchant_id=merchant_id, **vars(i)) for i in parcel_draft.items)
    Item.objects.bulk_create(items)
    OrderTransition.objects.create(
        order=order,
        merchant_id=merchant_id,
        transition="create",
        from_state="",
        to_state=order.state,
        actor=actor,
        reason=f"received via {channel}",
    )
    events.order_event(order, "accepted", actor=actor)
    return order


def _locked(order_id: int) -> Order:
    try:
        return Order.objects.select_for_update().get(pk=order_id)
    except Order.DoesNotExist as exc:
        raise OrderNotFound(f"Order {order_id} does not exist.") from exc


def _take(order: Order, transition: str, *, actor: str, reason: str = "") -> Order:
    try:
        take_transition(order, transition, actor=actor, reason=reason)
    except (TransitionNotAllowed, ConcurrentTransition) as exc:
        raise OrderStateConflict(
            f"Order {order.number} is {order.state}; it cannot {transition.replace('_', ' ')} now.",
            extra={"order_id": str(order.id), "state": order.state},
        ) from exc
    events.order_event(order, order.state, actor=actor, reason=reason)
    return order


def order_schedule(*, order_id: int, lane: str, actor: str) -> Order:
    with transaction.atomic():
        return _take(_locked(order_id), "schedule", actor=actor, reason=f"queued on lane {lane}")


def order_start_fulfillment(*, order_id: int, actor: str) -> Order:
    with transaction.atomic():
        return _take(_locked(order_id), "start_fulfillment", actor=actor, reason="released to fulfilment")


def order_advance(*, order_id: int, target: str, actor: str, reason: str = "") -> Order:
    """Walk the order forward along its progress path up to `target`; never backwards.

    Reports arrive late and out of order; one that the order has already passed is a no-op.
    """
    with transaction.atomic():
        order = _locked(order_id)
        if order.state not in PROGRESS_PATH:
            raise OrderStateConflict(
                f"Order {order.number} is {order.state}; progress to {target} does not apply.",
                extra={"order_id": str(order.id), "state": order.state},
            )
        current, goal = PROGRESS_PATH.index(order.state), PROGRESS_PATH.index(target)
        for state in PROGRESS_PATH[current + 1 : goal + 1]:
            _take(order, _STEP_INTO[state], actor=actor, reason=reason)
        return order


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
        events.order_event(order, "booked", actor=actor)
        return order


@transaction.atomic
def order_cancel(*, merchant_id: int, order_id: int, actor: str, reason: str = "") -> Order:
    order = _locked(order_id)
    if order.merchant_id != merchant_id:
        raise OrderNotFound(f"Order {order_id} does not exist.")
    if order.state not in (S.ACCEPTED, S.SCHEDULED, S.IN_FULFILLMENT):
        raise OrderNotCancellable(
            f"Order {order.number} is {order.state}; only orders not yet handed to a carrier can be cancelled.",
            extra={"order_id": str(order.id), "state": order.state},
        )
    return _take(order, "cancel", actor=actor, reason=reason or "cancelled by merchant")


def order_flag_exception(*, order_id: int, actor: str, reason: str) -> Order:
    with transaction.atomic():
        return _take(_locked(order_id), "flag_exception", actor=actor, reason=reason)
