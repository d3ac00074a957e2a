"""Writes of the back office: staff actions on any center's work, each through the owning
center's service and each recorded (`StaffActionRecord`) with its outcome, done or refused.

Actors are `staff:<username>`, as the centers' own histories name them."""

from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.backoffice.models import StaffActionRecord, WorkAssignment
from apps.common.exceptions import Conflict, DomainError
from apps.distribution.selectors import distribution_orders_for_order
from apps.distribution.services import distribution_order_retry
from apps.orders.selectors import order_get_for_fulfillment
from apps.orders.services import order_cancel
from apps.scheduling.services import lane_entry_hold, lane_entry_retry, lane_entry_unhold, lane_warehouse_retry
from apps.shipping.services import order_reroute_by_operations
from apps.webhooks.services import delivery_redeliver


class NothingToRetry(Conflict):
    code = "nothing_to_retry"


class AlreadyAssigned(Conflict):
    code = "already_assigned"


def _recorded(*, actor: str, action: str, subject_kind: str, subject_id: int, order_id: int | None, note: str, act):
    """Take the action and record it, done or refused (the refusal is raised again)."""
    try:
        result = act()
    except DomainError as exc:
        StaffActionRecord.objects.create(
            actor=actor,
            action=action,
            subject_kind=subject_kind,
            subject_id=subject_id,
            order_id=order_id,
            outcome=StaffActionRecord.Outcome.REFUSED,
            note=f"{note}: {exc.message}"[:500] if note else exc.message[:500],
        )
        raise
    StaffActionRecord.objects.create(
        actor=actor,
        action=action,
        subject_kind=subject_kind,
        subject_id=subject_id,
        order_id=order_id,
        outcome=StaffActionRecord.Outcome.DONE,
        note=note[:500],
    )
    return result


def _order_action(action: str, act: Callable[[], object], *, order_id: int, actor: str, note: str = ""):
    return _recorded(
        actor=actor, action=action, subject_kind="order", subject_id=order_id, order_id=order_id, note=note, act=act
    )


def order_cancel_by_staff(*, order_id: int, actor: str, reason: str = "cancelled by operations"):
    def act():
        order = order_get_for_fulfillment(order_id=order_id)
        return order_cancel(merchant_id=order.merchant_id, order_id=order_id, actor=actor, reason=reason)

    return _order_action("cancel", act, order_id=order_id, actor=actor, note=reason)


def order_retry_by_staff(*, order_id: int, actor: str):
    """Book again (or poll now) the order's latest delivery; an order without one has its
    booking hurried on its lane instead."""

    def act():
        legs = list(distribution_orders_for_order(order_id=order_id))
        if not legs:
            raise NothingToRetry(f"Order {order_id} has no delivery to retry yet.", extra={"order_id": order_id})
        return distribution_order_retry(distribution_order_id=legs[-1].id, actor=actor)

    return _order_action("retry", act, order_id=order_id, actor=actor)


def order_reroute_by_staff(*, order_id: int, actor: str, reason: str, chosen_route: tuple[str, str] | None = None):
    return _order_action(
        "reroute",
        lambda: order_reroute_by_operations(order_id=order_id, actor=actor, reason=reason, chosen_route=chosen_route),
        order_id=order_id,
        actor=actor,
        note=reason,
    )


def order_hold_by_staff(*, order_id: int, actor: str, reason: str):
    return _order_action(
        "hold",
        lambda: lane_entry_hold(order_id=order_id, actor=actor, reason=reason),
        order_id=order_id,
        actor=actor,
        note=reason,
    )


def order_release_by_staff(*, order_id: int, actor: str, reason: str = ""):
    return _order_action(
        "release",
        lambda: lane_entry_unhold(order_id=order_id, actor=actor, reason=reason),
        order_id=order_id,
        actor=actor,
        note=reason,
    )


def _warehouse_retry(warehouse_order_id: int, *, actor: str):
    entry = lane_warehouse_retry(warehouse_order_id=warehouse_order_id, actor=actor)
    if entry is None:
        raise NothingToRetry(
            f"Warehouse order {warehouse_order_id} waits for stock or a person (backordered or on hold): "
            "nothing to ask of its WMS."
        )
    return entry


def work_retry(*, kind: str, subject_id: int, order_id: int | None, merchant_id: int | None, actor: str):
    """Retry one piece of stuck work through its center: an order's delivery, lane work, a
    delivery to a carrier, a warehouse order's WMS call, or a webhook delivery."""
    acts = {
        "order": lambda: order_retry_by_staff(order_id=subject_id, actor=actor),
        "lane_entry": lambda: lane_entry_retry(entry_id=subject_id, actor=actor),
        "distribution_order": lambda: distribution_order_retry(distribution_order_id=subject_id, actor=actor),
        "warehouse_order": lambda: _warehouse_retry(subject_id, actor=actor),
        "webhook_delivery": lambda: delivery_redeliver(merchant_id=merchant_id, delivery_id=subject_id),
    }
    if kind == "order":
        return acts[kind]()  # recorded as an order action
    if kind not in acts:
        raise NothingToRetry(f"{kind} work cannot be retried from here.")
    return _recorded(
        actor=actor,
        action="retry",
        subject_kind=kind,
        subject_id=subject_id,
        order_id=order_id,
        note="",
        act=acts[kind],
    )


def work_assign(*, kind: str, subject_id: int, order_id: int | None, assignee, note: str, actor: str) -> WorkAssignment:
    """Hand a piece of stuck work to a person (one open assignment per piece; `AlreadyAssigned`)."""

    def act():
        try:
            with transaction.atomic():
                return WorkAssignment.objects.create(
                    subject_kind=kind,
                    subject_id=subject_id,
                    order_id=order_id,
                    assignee=assignee,
                    note=note[:500],
                    assigned_by=actor,
                )
        except IntegrityError:
            holder = WorkAssignment.objects.filter(
                subject_kind=kind, subject_id=subject_id, closed_at__isnull=True
            ).first()
            raise AlreadyAssigned(
                f"{kind} {subject_id} is already with {holder.assignee if holder else 'someone'}."
            ) from None

    return _recorded(
        actor=actor,
        action="assign",
        subject_kind=kind,
        subject_id=subject_id,
        order_id=order_id,
        note=f"to {assignee.get_username()}: {note}",
        act=act,
    )


def work_assignment_close(*, assignment_id: int, actor: str) -> WorkAssignment:
    with transaction.atomic():
        assignment = WorkAssignment.objects.select_for_update().get(pk=assignment_id)
        if assignment.closed_at is None:
            assignment.closed_at = timezone.now()
            assignment.save(update_fields=["closed_at"])
            StaffActionRecord.objects.create(
                actor=actor,
                action="close_assignment",
                subject_kind=assignment.subject_kind,
                subject_id=assignment.subject_id,
                order_id=assignment.order_id,
                outcome=StaffActionRecord.Outcome.DONE,
            )
    return assignment
