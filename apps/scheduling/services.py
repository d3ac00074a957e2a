"""Writes of the scheduling center: lane work, its release through the global gate, and its run.

Every call to a downstream is lane work: a `LaneEntry` row first (kind book, void, label or track), a
Celery message only a nudge to run it. The steps (docs/adr/0007):

1. enqueue: a row, queued, with its priority and a fair virtual start (below);
2. release (`lane_release`, a short transaction): the first queued work in fair order, each with
   an in-flight slot from the gate, is marked released with a lease; after commit one
   `scheduling.work.released` event per work nudges `run_lane_work`;
3. run (`lane_work_run`): a rate token from the gate right before the call, then the call by
   kind; done → completed, a transient failure → queued again with `not_before`, a permanent one
   → failed; the slot is given back and the lane nudged;
4. sweep (`lane_sweep`, beat): expired leases back to queued, work whose subject moved on closed,
   long waiting work aged up one priority level.

Fairness is start-time fair queueing per flow (a merchant's single orders, its bulk orders, the
platform's polls): a new work's virtual start is max(lane's virtual clock, its flow's last
virtual start) + 1 and release takes (priority desc, virtual start, id), so a 500-order bulk
upload does not hold up another merchant's single order, nor the same merchant's.
"""

import logging
import random
import time
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from apps.common import logs
from apps.common.fsm import take_transition
from apps.distribution.exceptions import BookingDeferred, CarrierPermanentError, CarrierTransientError
from apps.distribution.selectors import carrier_circuit, distribution_order_get, tracking_carriers_due, tracking_due
from apps.distribution.services import (
    backoff_seconds,
    distribution_order_book,
    distribution_order_fetch_label,
    distribution_order_void_at_carrier,
    tracking_poll,
)
from apps.fulfillment.selectors import fulfillment_current_distribution_order_id, fulfillment_warehouse_order_ids
from apps.fulfillment.services import fulfillment_start
from apps.orders.exceptions import OrderStateConflict
from apps.orders.selectors import order_get_for_fulfillment
from apps.orders.services import order_schedule
from apps.resources.selectors import carrier_get, warehouse_codes, warehouse_get
from apps.scheduling import events, gate
from apps.scheduling.exceptions import WorkNotWaiting
from apps.scheduling.models import (
    SWEEPING_KINDS,
    Lane,
    LaneChange,
    LaneEntry,
    LaneEntryState,
    MerchantPriority,
    WorkKind,
)
from apps.warehouse.breaker import wms_circuit
from apps.warehouse.exceptions import WarehouseCallDeferred
from apps.warehouse.selectors import (
    asns_receiving,
    warehouse_order_get,
    warehouse_snapshot_due,
    warehouses_to_poll,
)
from apps.warehouse.services import (
    asn_announce,
    asn_receipts_poll,
    warehouse_order_request_cancel,
    warehouse_order_submit,
    warehouse_poll_changes,
    warehouse_stock_snapshot_reconcile,
)
from apps.warehouse.wms.errors import WmsRefused, WmsUnavailable

logger = logging.getLogger(__name__)

ACTOR = "system:scheduling"
PRIORITY_OF_SERVICE_LEVEL = {"express": 10, "standard": 5, "economy": 0}
PRIORITY_STEP = 5  # one service level
PRIORITY_MAX = 20
BULK_CHANNELS = frozenset({"api_bulk", "csv"})
LIMIT_FIELDS = ("requests_per_second", "burst", "max_in_flight")
Q_ = LaneEntryState.QUEUED
R_ = LaneEntryState.RELEASED
ACTIVE = (Q_, R_)
# What a leg's state means for booking work: it no longer needs a carrier call.
_LEG_BOOKED = frozenset({"booked", "picked_up", "in_transit", "customs_hold", "out_for_delivery", "delivered"})


# ---------------------------------------------------------------------------------------------
# Lanes and their limits


def _limits_from_carrier(carrier) -> dict[str, int]:
    rate = max(int(carrier.requests_per_second), 1)
    return {
        "requests_per_second": rate,
        "burst": max(2 * rate, 1),
        "max_in_flight": max(int(carrier.max_concurrent_calls), 1),
    }


def _carrier_lane(carrier_code: str) -> Lane:
    carrier = carrier_get(code=carrier_code)
    lane, _ = Lane.objects.get_or_create(
        key=f"carrier:{carrier.code}",
        defaults={"downstream_kind": "carrier", "downstream_code": carrier.code, **_limits_from_carrier(carrier)},
    )
    return lane


def _limits_of_warehouses() -> dict[str, int]:
    rate = max(settings.WMS_REQUESTS_PER_SECOND, 1)
    return {"requests_per_second": rate, "burst": 2 * rate, "max_in_flight": max(settings.WMS_MAX_IN_FLIGHT, 1)}


def _warehouse_lane(warehouse_code: str) -> Lane:
    warehouse = warehouse_get(code=warehouse_code)
    lane, _ = Lane.objects.get_or_create(
        key=f"warehouse:{warehouse.code}",
        defaults={"downstream_kind": "warehouse", "downstream_code": warehouse.code, **_limits_of_warehouses()},
    )
    return lane


def _refresh_limits(lane: Lane) -> None:
    # A lane follows its carrier's limits in the resource center (a warehouse's: the settings)
    # without a restart, until operations set its own (then it keeps theirs: `limits_set_by`).
    if lane.limits_set_by:
        return
    if lane.downstream_kind == "carrier":
        limits = _limits_from_carrier(carrier_get(code=lane.downstream_code))
    else:
        limits = _limits_of_warehouses()
    for field, value in limits.items():
        setattr(lane, field, value)


def lane_limits_set(*, lane_id: int, actor: str, **limits: int) -> Lane:
    """Operations set a lane's limits by hand: recorded (who, when, old → new), and from now on
    kept over the carrier's values. Raises ValueError for a limit below 1."""
    unknown = set(limits) - set(LIMIT_FIELDS)
    if unknown:
        raise ValueError(f"not a lane limit: {', '.join(sorted(unknown))}")
    if any(int(v) < 1 for v in limits.values()):
        raise ValueError("lane limits are at least 1")
    with transaction.atomic():
        lane = Lane.objects.select_for_update().get(pk=lane_id)
        old = {field: getattr(lane, field) for field in LIMIT_FIELDS}
        for field, value in limits.items():
            setattr(lane, field, int(value))
        new = {field: getattr(lane, field) for field in LIMIT_FIELDS}
        lane.limits_set_by = actor
        lane.save(update_fields=[*LIMIT_FIELDS, "limits_set_by"])
        LaneChange.objects.create(lane=lane, actor=actor, old=old, new=new)
    return lane


def lane_limits_follow_carrier(*, lane_id: int, actor: str) -> Lane:
    """Hand a lane's limits back to the resource center (recorded like an edit)."""
    with transaction.atomic():
        lane = Lane.objects.select_for_update().get(pk=lane_id)
        old = {field: getattr(lane, field) for field in LIMIT_FIELDS}
        lane.limits_set_by = ""
        _refresh_limits(lane)
        lane.save(update_fields=[*LIMIT_FIELDS, "limits_set_by"])
        LaneChange.objects.create(
            lane=lane, actor=actor, old=old, new={**{f: getattr(lane, f) for f in LIMIT_FIELDS}, "follows": "carrier"}
        )
    return lane


def lane_pause(*, lane_id: int, paused: bool, actor: str) -> Lane:
    """Hold every work of the lane, or let it go again (which also ends a drain)."""
    with transaction.atomic():
        lane = Lane.objects.select_for_update().get(pk=lane_id)
        LaneChange.objects.create(
            lane=lane,
            actor=actor,
            old={"paused": lane.paused, "draining": lane.draining},
            new={"paused": paused, "draining": False},
        )
        lane.paused, lane.draining = paused, False
        lane.save(update_fields=["paused", "draining"])
    if not paused:
        lane_release(lane_id=lane_id)
    return lane


def lane_drain(*, lane_id: int, actor: str) -> Lane:
    """Empty the lane before a downstream's maintenance: its waiting work goes at the lane's pace
    and, once nothing waits or runs, the lane pauses by itself (recorded like every change).
    New work that arrives meanwhile still queues and is let through too."""
    with transaction.atomic():
        lane = Lane.objects.select_for_update().get(pk=lane_id)
        LaneChange.objects.create(
            lane=lane,
            actor=actor,
            old={"paused": lane.paused, "draining": lane.draining},
            new={"paused": False, "draining": True},
        )
        lane.paused, lane.draining = False, True
        lane.save(update_fields=["paused", "draining"])
    lane_release(lane_id=lane_id)
    return lane


def _pause_when_drained(lane: Lane) -> None:
    if lane.draining and not lane.entries.filter(state__in=ACTIVE).exists():
        LaneChange.objects.create(
            lane=lane, actor=ACTOR, old={"paused": False, "draining": True}, new={"paused": True, "draining": False}
        )
        lane.paused, lane.draining = True, False


# ---------------------------------------------------------------------------------------------
# Enqueue


def _flow(*, merchant_id: int, channel: str) -> str:
    return f"{merchant_id}:{'bulk' if channel in BULK_CHANNELS else 'single'}"


def _merchant_boost(merchant_id: int) -> int:
    boost = MerchantPriority.objects.filter(merchant_id=merchant_id).values_list("boost", flat=True).first()
    return boost or 0


def _enqueue(
    lane: Lane,
    *,
    kind: str,
    flow: str,
    priority: int,
    actor: str,
    order_id: int | None = None,
    merchant_id: int = 0,
    distribution_order_id: int | None = None,
    warehouse_order_id: int | None = None,
    asn_id: int | None = None,
    reason: str = "",
) -> LaneEntry:
    flow_last = (
        LaneEntry.objects.filter(lane=lane, flow=flow, state=Q_).aggregate(last=Max("virtual_start"))["last"] or 0
    )
    lane_clock = Lane.objects.filter(pk=lane.pk).values_list("virtual_clock", flat=True).get()
    entry = LaneEntry.objects.create(
        lane=lane,
        kind=kind,
        order_id=order_id,
        merchant_id=merchant_id,
        distribution_order_id=distribution_order_id,
        warehouse_order_id=warehouse_order_id,
        asn_id=asn_id,
        flow=flow,
        priority=min(priority, PRIORITY_MAX),
        virtual_start=max(lane_clock, flow_last) + 1,
        request_id=logs.current_request_id(),
    )
    entry.history.create(
        merchant_id=merchant_id, transition="enqueue", from_state="", to_state=entry.state, actor=actor, reason=reason
    )
    return entry


def _new_booking(
    order, *, actor: str, distribution_order_id: int | None = None, carrier_code: str = "", reason: str = ""
) -> LaneEntry:
    """Booking work for the order on the lane of `carrier_code` (the order's carrier by default)."""
    return _enqueue(
        _carrier_lane(carrier_code or order.carrier_code),
        kind=WorkKind.BOOK,
        order_id=order.id,
        merchant_id=order.merchant_id,
        distribution_order_id=distribution_order_id,
        flow=_flow(merchant_id=order.merchant_id, channel=order.channel),
        priority=PRIORITY_OF_SERVICE_LEVEL.get(order.service_level, 0) + _merchant_boost(order.merchant_id),
        actor=actor,
        reason=reason,
    )


def _new_warehouse_submission(order, *, actor: str) -> LaneEntry:
    """An order shipped from a warehouse starts there: its first work goes to the WMS's lane."""
    return _enqueue(
        _warehouse_lane(order.warehouse_code),
        kind=WorkKind.WMS_SUBMIT,
        order_id=order.id,
        merchant_id=order.merchant_id,
        flow=_flow(merchant_id=order.merchant_id, channel=order.channel),
        priority=PRIORITY_OF_SERVICE_LEVEL.get(order.service_level, 0) + _merchant_boost(order.merchant_id),
        actor=actor,
    )


def lane_enqueue(*, order_id: int, actor: str = ACTOR) -> LaneEntry | None:
    """Put an accepted order's first work on its lane (order → `scheduled`): its booking on its
    carrier's lane, or, shipped from a warehouse, its submission on the WMS's lane. Then let
    through what fits. An order no longer `accepted` (cancelled before its news was handled) is
    left as it is: None."""
    with transaction.atomic():
        order = order_get_for_fulfillment(order_id=order_id)
        if order.state != "accepted":
            logger.info("order %s is %s: nothing to schedule", order_id, order.state)
            return None
        if order.warehouse_code:
            entry = _new_warehouse_submission(order, actor=actor)
        else:
            entry = _new_booking(order, actor=actor)
        order_schedule(order_id=order.id, lane=entry.lane.key, actor=actor)
        lane_release(lane_id=entry.lane_id)
    return entry


def lane_requeue(*, order_id: int, actor: str = ACTOR) -> LaneEntry:
    """Put a re-routed order's booking on the lane of its new carrier, then let through what fits."""
    with transaction.atomic():
        entry = _new_booking(order_get_for_fulfillment(order_id=order_id), actor=actor)
        lane_release(lane_id=entry.lane_id)
    return entry


def lane_book_retry(*, distribution_order_id: int, actor: str) -> LaneEntry | None:
    """Operations asked to book a stuck delivery now: its booking work goes to the front of its
    lane (waiting ends, priority raised), or new booking work is queued if it has none."""
    distribution_order = distribution_order_get(distribution_order_id=distribution_order_id)
    if distribution_order.state not in ("created", "booking"):
        return None
    with transaction.atomic():
        entry = (
            LaneEntry.objects.select_for_update()
            .filter(kind=WorkKind.BOOK, order_id=distribution_order.order_id, state__in=ACTIVE)
            .first()
        )
        if entry is None:
            order = order_get_for_fulfillment(order_id=distribution_order.order_id)
            entry = _enqueue(
                _carrier_lane(distribution_order.carrier_code),
                kind=WorkKind.BOOK,
                order_id=order.id,
                merchant_id=order.merchant_id,
                distribution_order_id=distribution_order_id,
                flow=_flow(merchant_id=order.merchant_id, channel=order.channel),
                priority=PRIORITY_MAX,
                actor=actor,
                reason="retry requested",
            )
        elif entry.state == Q_:
            entry.not_before = None
            entry.priority = PRIORITY_MAX
            entry.save(update_fields=["not_before", "priority", "updated_at"])
        lane_release(lane_id=entry.lane_id)
    return entry


def lane_leg_enqueue(*, distribution_order_id: int, actor: str) -> LaneEntry | None:
    """A plan added a delivery leg (a last mile): its booking waits on its carrier's lane, in the
    merchant's flow, at the order's priority. None when the leg no longer needs booking."""
    distribution_order = distribution_order_get(distribution_order_id=distribution_order_id)
    if distribution_order.state != "created":
        return None
    with transaction.atomic():
        order = order_get_for_fulfillment(order_id=distribution_order.order_id)
        try:
            with transaction.atomic():
                entry = _new_booking(
                    order,
                    actor=actor,
                    distribution_order_id=distribution_order_id,
                    carrier_code=distribution_order.carrier_code,
                    reason=f"leg {distribution_order_id} planned",
                )
        except IntegrityError:  # a doubled event: the booking is already on the lane
            return None
        lane_release(lane_id=entry.lane_id)
    return entry


def lane_call_enqueue(
    *, kind: str, distribution_order_id: int, order_id: int | None, merchant_id: int, carrier_code: str, actor: str
) -> None:
    """A call about one delivery (void its shipment, fetch its label) waits on its carrier's lane,
    in the merchant's own flow for that kind of call."""
    with transaction.atomic():
        lane = _carrier_lane(carrier_code)
        _enqueue(
            lane,
            kind=kind,
            order_id=order_id,
            merchant_id=merchant_id,
            distribution_order_id=distribution_order_id,
            flow=f"{merchant_id}:{kind}",
            priority=PRIORITY_OF_SERVICE_LEVEL["standard"],
            actor=actor,
        )
        lane_release(lane_id=lane.pk)


def lane_track_enqueue_due() -> int:
    """Queue one tracking poll on each carrier's lane with deliveries due (at most one queued
    per lane: it polls whatever is due when it runs); return how many were queued."""
    queued = 0
    for carrier_code in tracking_carriers_due():
        with transaction.atomic():
            lane = _carrier_lane(carrier_code)
            queued += _queue_sweep(lane, WorkKind.TRACK)
            lane_release(lane_id=lane.pk)
    return queued


def lane_warehouse_order_enqueue(*, warehouse_order_id: int, kind: str, actor: str) -> LaneEntry | None:
    """A warehouse order needs its WMS: submitted (allocated, e.g. a backorder whose stock came)
    or a cancel asked. Queued on the warehouse's lane unless such work is already active."""
    warehouse_order = warehouse_order_get(warehouse_order_id=warehouse_order_id)
    with transaction.atomic():
        active = LaneEntry.objects.filter(state__in=ACTIVE, kind=kind, warehouse_order_id=warehouse_order_id)
        if kind == WorkKind.WMS_SUBMIT:  # the order's first submission is planned before it has an id
            active = active | LaneEntry.objects.filter(
                state__in=ACTIVE, kind=kind, order_id=warehouse_order.order_id, warehouse_order_id__isnull=True
            )
        if active.exists():
            return None
        entry = _enqueue(
            _warehouse_lane(warehouse_order.warehouse_code),
            kind=kind,
            order_id=warehouse_order.order_id,
            merchant_id=warehouse_order.merchant_id,
            warehouse_order_id=warehouse_order_id,
            flow=f"{warehouse_order.merchant_id}:{kind}",
            priority=PRIORITY_OF_SERVICE_LEVEL["standard"] + (PRIORITY_STEP if kind == WorkKind.WMS_CANCEL else 0),
            actor=actor,
        )
        lane_release(lane_id=entry.lane_id)
    return entry


def lane_warehouse_retry(*, warehouse_order_id: int, actor: str) -> LaneEntry | None:
    """Operations' nudge for a stuck warehouse order: its WMS call queued again (the submission of
    an allocated or submitted order, the cancel asked of the WMS), or a poll of its warehouse for
    one the WMS has; None when nothing can be asked of the WMS for it (backordered, on hold)."""
    warehouse_order = warehouse_order_get(warehouse_order_id=warehouse_order_id)
    kind = {"allocated": WorkKind.WMS_SUBMIT, "submitted": WorkKind.WMS_SUBMIT}.get(warehouse_order.state)
    kind = kind or (WorkKind.WMS_CANCEL if warehouse_order.state == "cancel_requested" else None)
    if kind is not None:
        return lane_warehouse_order_enqueue(warehouse_order_id=warehouse_order_id, kind=kind, actor=actor)
    if warehouse_order.state in ("accepted", "picking", "packed", "partially_shipped"):
        with transaction.atomic():
            lane = _warehouse_lane(warehouse_order.warehouse_code)
            _queue_sweep(lane, WorkKind.WMS_POLL)
            lane_release(lane_id=lane.pk)
            return lane.entries.filter(kind=WorkKind.WMS_POLL).order_by("-id").first()
    return None


def lane_asn_enqueue(*, asn_id: int, warehouse_code: str, merchant_id: int, actor: str) -> LaneEntry:
    """A merchant's inbound shipment is to be announced to the warehouse's WMS."""
    with transaction.atomic():
        entry = _enqueue(
            _warehouse_lane(warehouse_code),
            kind=WorkKind.ASN_ANNOUNCE,
            merchant_id=merchant_id,
            asn_id=asn_id,
            flow=f"{merchant_id}:asn",
            priority=PRIORITY_OF_SERVICE_LEVEL["standard"],
            actor=actor,
        )
        lane_release(lane_id=entry.lane_id)
    return entry


def _queue_sweep(lane: Lane, kind: str) -> bool:
    """One queued poll or snapshot per lane (the constraint keeps it so across beat rounds)."""
    if LaneEntry.objects.filter(lane=lane, kind=kind, state=Q_).exists():
        return False
    try:
        with transaction.atomic():
            _enqueue(
                lane, kind=kind, flow=f"platform:{kind}", priority=PRIORITY_OF_SERVICE_LEVEL["standard"], actor=ACTOR
            )
    except IntegrityError:
        return False  # another beat round queued it meanwhile
    return True


def lane_warehouse_enqueue_due(*, now=None) -> int:
    """Beat: a poll of the changes of each warehouse with orders at its WMS or ASNs arriving (so a
    lost webhook costs at most one poll interval), and each warehouse's stock snapshot when its
    last reconciliation is older than `WMS_SNAPSHOT_MINUTES`; return how many were queued."""
    now = now or timezone.now()
    queued = 0
    snapshot_bound = now - timedelta(minutes=settings.WMS_SNAPSHOT_MINUTES)
    for code in warehouses_to_poll():
        with transaction.atomic():
            lane = _warehouse_lane(code)
            queued += _queue_sweep(lane, WorkKind.WMS_POLL)
            lane_release(lane_id=lane.pk)
    for code in warehouse_codes():
        if warehouse_snapshot_due(warehouse_code=code, older_than=snapshot_bound):
            with transaction.atomic():
                lane = _warehouse_lane(code)
                queued += _queue_sweep(lane, WorkKind.WMS_SNAPSHOT)
                lane_release(lane_id=lane.pk)
    return queued


def merchant_priority_set(*, merchant_id: int, boost: int, actor: str) -> None:
    """Operations raise (or, with 0, reset) a merchant's priority: its new work and its waiting work."""
    with transaction.atomic():
        current = _merchant_boost(merchant_id)
        MerchantPriority.objects.update_or_create(merchant_id=merchant_id, defaults={"boost": boost, "set_by": actor})
        LaneEntry.objects.filter(merchant_id=merchant_id, state=Q_).update(priority=F("priority") + boost - current)


def lane_entry_raise(*, entry_id: int, actor: str, levels: int = 1) -> LaneEntry:
    """Operations move one waiting work up `levels` priority levels."""
    with transaction.atomic():
        entry = LaneEntry.objects.select_for_update().get(pk=entry_id)
        if entry.state == Q_:
            old = entry.priority
            entry.priority = min(PRIORITY_MAX, entry.priority + levels * PRIORITY_STEP)
            entry.save(update_fields=["priority", "updated_at"])
            entry.history.create(
                merchant_id=entry.merchant_id,
                transition="raise",
                from_state=entry.state,
                to_state=entry.state,
                actor=actor,
                reason=f"priority {old} → {entry.priority}",
            )
    return entry


def _waiting_booking(order_id: int) -> LaneEntry:
    entry = (
        LaneEntry.objects.select_for_update()
        .select_related("lane")
        .filter(kind=WorkKind.BOOK, order_id=order_id, state__in=ACTIVE)
        .first()
    )
    if entry is None or entry.state != Q_:
        doing = "its call to the carrier is under way" if entry else "it has no booking waiting on a lane"
        raise WorkNotWaiting(f"Order {order_id} cannot be held or released: {doing}.", extra={"order_id": order_id})
    return entry


def _note(entry: LaneEntry, transition: str, *, actor: str, reason: str) -> None:
    entry.history.create(
        merchant_id=entry.merchant_id,
        transition=transition,
        from_state=entry.state,
        to_state=entry.state,
        actor=actor,
        reason=reason[:500],
    )


def lane_entry_hold(*, order_id: int, actor: str, reason: str) -> LaneEntry:
    """Operations keep one order's booking on its lane (the rest of the lane goes on): it waits,
    in its place, until `lane_entry_unhold`. Only queued work can be held (`WorkNotWaiting`)."""
    with transaction.atomic():
        entry = _waiting_booking(order_id)
        if not entry.held_by:
            entry.held_by = actor
            entry.save(update_fields=["held_by", "updated_at"])
            _note(entry, "hold", actor=actor, reason=reason or "held by operations")
    return entry


def lane_entry_unhold(*, order_id: int, actor: str, reason: str = "") -> LaneEntry:
    """Let a held booking go again, in its old place on the lane; then let through what fits."""
    with transaction.atomic():
        entry = _waiting_booking(order_id)
        if entry.held_by:
            entry.held_by = ""
            entry.save(update_fields=["held_by", "updated_at"])
            _note(entry, "unhold", actor=actor, reason=reason or "released by operations")
        lane_release(lane_id=entry.lane_id)
    return entry


def lane_entry_retry(*, entry_id: int, actor: str) -> LaneEntry:
    """Operations hurry one waiting work: its backoff ends and it goes first on its lane (a held
    work stays held). Work that is not queued is refused (`WorkNotWaiting`)."""
    with transaction.atomic():
        entry = LaneEntry.objects.select_for_update().filter(pk=entry_id).first()
        if entry is None or entry.state != Q_:
            raise WorkNotWaiting(f"Lane work {entry_id} is not waiting on its lane.", extra={"entry_id": entry_id})
        entry.not_before, entry.priority = None, PRIORITY_MAX
        entry.save(update_fields=["not_before", "priority", "updated_at"])
        _note(entry, "retry", actor=actor, reason="retry requested")
        lane_release(lane_id=entry.lane_id)
    return entry


def lane_entry_withdraw_for_reroute(*, order_id: int, actor: str, reason: str) -> LaneEntry | None:
    """Shipping re-routes an order whose booking waits on a lane: take it off (held or not).
    Work whose call is under way is refused (`WorkNotWaiting`): its outcome must come first."""
    with transaction.atomic():
        entry = (
            LaneEntry.objects.select_for_update()
            .select_related("lane")
            .filter(kind=WorkKind.BOOK, order_id=order_id, state__in=ACTIVE)
            .first()
        )
        if entry is None:
            return None
        if entry.state == R_:
            raise WorkNotWaiting(
                f"Order {order_id}'s call to its carrier is under way; re-route it once that call is over.",
                extra={"order_id": order_id},
            )
        _note(entry, "withdraw", actor=actor, reason=reason)
        _finish(entry, "fail", reason=f"re-routed: {reason}")
    return entry


def order_reroute_request(*, order_id: int, merchant_id: int, reason: str) -> None:
    """Booking failed for good: ask the shipping center, which takes routing decisions, for the
    order's next route (`scheduling.order.reroute_requested`); it comes back through
    `lane_requeue`."""
    with transaction.atomic():
        events.order_reroute_requested(order_id=order_id, merchant_id=merchant_id, reason=reason, actor=ACTOR)


# ---------------------------------------------------------------------------------------------
# Release


def _hold(lane: Lane, reason: str, *, now) -> None:
    if lane.hold_reason != reason:
        lane.hold_reason, lane.held_since = reason, now


def _breaker(lane: Lane) -> str:
    if lane.downstream_kind == "warehouse":
        return wms_circuit(lane.downstream_code).state
    return carrier_circuit(carrier_code=lane.downstream_code).state


def _free_slot_after_commit(lane: Lane, work_id: int, *, latency_ms: float | None = None, timed_out=False) -> None:
    key, limit = lane.key, lane.max_in_flight

    def free() -> None:
        try:
            gate.release_slot(
                lane_key=key, work_id=work_id, max_in_flight=limit, latency_ms=latency_ms, timed_out=timed_out
            )
        except gate.GateUnavailable as exc:  # its lease frees it when Redis is back
            logger.warning("could not free the slot of work %s on %s: %s", work_id, key, exc)

    transaction.on_commit(free)


def _release_queued(lane: Lane, *, now) -> int:
    if lane.paused:
        _hold(lane, "paused", now=now)
        return 0
    room = lane.max_in_flight
    try:
        breaker = _breaker(lane)
    except Exception as exc:  # the breaker lives in Redis too; unknown health means hold
        logger.warning("breaker of %s unreadable (%s): holding", lane.key, exc)
        _hold(lane, "redis unreachable", now=now)
        return 0
    if breaker == "unknown":  # the breaker fails closed when Redis does not answer
        _hold(lane, "redis unreachable", now=now)
        return 0
    if breaker == "open":
        _hold(lane, "breaker open", now=now)
        return 0
    if breaker == "half-open":
        if lane.entries.filter(state=R_).exists():
            _hold(lane, "breaker half-open: probe in flight", now=now)
            return 0
        room = 1  # exactly one probe
    candidates = list(
        lane.entries.select_for_update(skip_locked=True)
        .filter(state=Q_, held_by="")
        .filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
        .order_by("-priority", "virtual_start", "id")[:room]
    )
    released = 0
    lease = timedelta(seconds=settings.LANE_LEASE_SECONDS)
    for entry in candidates:
        try:
            slot = gate.acquire_slot(
                lane_key=lane.key,
                work_id=entry.pk,
                max_in_flight=lane.max_in_flight,
                lease_seconds=settings.LANE_LEASE_SECONDS,
            )
        except gate.GateUnavailable as exc:
            logger.warning("gate of %s unavailable (%s): holding", lane.key, exc)
            _hold(lane, "redis unreachable", now=now)
            return released
        if not slot.granted:
            _hold(lane, f"in-flight limit ({slot.in_flight}/{slot.limit})", now=now)
            return released
        entry.released_at, entry.lease_until = now, now + lease
        take_transition(entry, "release", actor=ACTOR)
        lane.virtual_clock = max(lane.virtual_clock, entry.virtual_start)
        events.work_released(entry=entry, lane_key=lane.key)
        released += 1
    lane.hold_reason, lane.held_since = "", None  # nothing held back what was eligible
    return released


def lane_release(*, lane_id: int) -> int:
    """Release queued work in fair order, each with an in-flight slot of the gate; return how many.

    A short transaction: no call to a downstream runs in it. Each released work is nudged after
    commit (`scheduling.work.released` → `run_lane_work`). Redis unreachable, the breaker open, the
    lane paused or its slots taken: nothing (more) goes, and the lane says why (`hold_reason`).
    """
    with transaction.atomic():
        lane = Lane.objects.select_for_update().get(pk=lane_id)
        _refresh_limits(lane)
        released = _release_queued(lane, now=timezone.now())
        _pause_when_drained(lane)
        lane.save(update_fields=[*LIMIT_FIELDS, "virtual_clock", "hold_reason", "held_since", "paused", "draining"])
    return released


def lane_release_all() -> int:
    """Give every lane with waiting work its chance; run about once a second."""
    lane_ids = LaneEntry.objects.filter(state=Q_).values_list("lane_id", flat=True).distinct()
    return sum(lane_release(lane_id=lane_id) for lane_id in lane_ids)


# ---------------------------------------------------------------------------------------------
# Finishing work


def _finish(entry: LaneEntry, transition: str, *, reason: str = "", latency_ms=None, timed_out=False) -> None:
    """Complete or fail an active work in the caller's transaction; its slot is freed after commit."""
    held_slot = entry.state == R_
    entry.finished_at = timezone.now()
    entry.lease_until = None
    if transition == "fail":
        entry.last_error = reason[:500]
    take_transition(entry, transition, actor=ACTOR, reason=reason)
    if held_slot:
        _free_slot_after_commit(entry.lane, entry.pk, latency_ms=latency_ms, timed_out=timed_out)


def _back_to_queue(
    entry: LaneEntry, *, delay: float, reason: str, spend_attempt: bool, latency_ms=None, timed_out=False
) -> None:
    held_slot = entry.state == R_
    if spend_attempt:
        entry.attempts += 1
    entry.not_before = timezone.now() + timedelta(seconds=max(delay, 0))
    entry.lease_until = None
    entry.last_error = reason[:500]
    take_transition(entry, "requeue", actor=ACTOR, reason=reason)
    if held_slot:
        _free_slot_after_commit(entry.lane, entry.pk, latency_ms=latency_ms, timed_out=timed_out)


def lane_entry_withdraw(*, order_id: int, reason: str) -> LaneEntry | None:
    """An order left before its booking was released (cancelled): take it off its lane."""
    with transaction.atomic():
        entry = (
            LaneEntry.objects.select_for_update()
            .filter(kind=WorkKind.BOOK, order_id=order_id, state=Q_)
            .select_related("lane")
            .first()
        )
        if entry is not None:
            _finish(entry, "fail", reason=reason)
    return entry


def lane_entry_finish(
    *, order_id: int, succeeded: bool, reason: str = "", distribution_order_id: int | None = None
) -> LaneEntry | None:
    """The carrier is done with an order's booking (news from distribution): close its work,
    free its slot and let the next one through. Work that already ended stays as it is. With
    `distribution_order_id`, only that delivery's work: a re-routed order's new booking is not
    closed by news of the delivery it left."""
    with transaction.atomic():
        work = LaneEntry.objects.select_for_update().filter(kind=WorkKind.BOOK, order_id=order_id, state__in=ACTIVE)
        if distribution_order_id is not None:
            work = work.filter(distribution_order_id=distribution_order_id)
        entry = work.select_related("lane").first()
        if entry is None:
            return None
        if not succeeded or entry.state == R_:
            _finish(entry, "complete" if succeeded else "fail", reason=reason)
        lane_release(lane_id=entry.lane_id)
    return entry


# ---------------------------------------------------------------------------------------------
# Running released work


def _locked_released(work_id: int, version: int | None = None) -> LaneEntry | None:
    entry = LaneEntry.objects.select_for_update().select_related("lane").filter(pk=work_id).first()
    if entry is None or entry.state != R_:
        return None
    # A nudge names the release it is for: one that comes back after the work was released again
    # (a retried task) leaves the newer release to its own nudge.
    return None if version is not None and entry.version != version else entry


def lane_work_plan(*, work_id: int) -> LaneEntry | None:
    """Released booking work without a delivery leg gets one (`fulfillment_start`: order →
    `in_fulfillment`). Runs from the release event's handler and again, idempotently, at the start
    of the run, whichever comes first; an order cancelled meanwhile ends its work."""
    with transaction.atomic():
        entry = _locked_released(work_id)
        if entry is None or not _needs_plan(entry):
            return entry
        try:
            fulfillment_start(order_id=entry.order_id, actor=ACTOR)
        except OrderStateConflict as exc:
            _finish(entry, "fail", reason=exc.message)
            return entry
        if entry.kind == WorkKind.BOOK:
            entry.distribution_order_id = fulfillment_current_distribution_order_id(order_id=entry.order_id)
        else:
            entry.warehouse_order_id = _warehouse_order_on_lane(entry)
        entry.save(update_fields=["distribution_order_id", "warehouse_order_id", "updated_at"])
    return entry


def _warehouse_order_on_lane(entry: LaneEntry) -> int | None:
    """The order's warehouse order at the warehouse of the entry's lane (an order split across
    warehouses has one per warehouse; the others are queued on their own lanes when allocated)."""
    ids = fulfillment_warehouse_order_ids(order_id=entry.order_id)
    for warehouse_order_id in reversed(ids):
        if warehouse_order_get(warehouse_order_id=warehouse_order_id).warehouse_code == entry.lane.downstream_code:
            return warehouse_order_id
    return ids[-1] if ids else None


def _needs_plan(entry: LaneEntry) -> bool:
    """An order's first work (its booking, or its submission to a warehouse) makes its plan."""
    if entry.kind == WorkKind.BOOK:
        return not entry.distribution_order_id
    return entry.kind == WorkKind.WMS_SUBMIT and not entry.warehouse_order_id


def _subject_moved_on(entry: LaneEntry) -> tuple[str, str] | None:
    """(transition, reason) when the work's subject no longer needs the call."""
    if entry.kind == WorkKind.BOOK and entry.distribution_order_id:
        state = distribution_order_get(distribution_order_id=entry.distribution_order_id).state
        if state in _LEG_BOOKED:
            return "complete", f"leg already {state}"
        if state in ("cancelled", "booking_failed"):
            return "fail", f"leg {state}"
    elif entry.kind == WorkKind.BOOK and order_get_for_fulfillment(order_id=entry.order_id).state == "cancelled":
        return "fail", "order cancelled"
    elif entry.kind in _WMS_ORDER_STATES and entry.warehouse_order_id:
        state = warehouse_order_get(warehouse_order_id=entry.warehouse_order_id).state
        if state not in _WMS_ORDER_STATES[entry.kind]:
            return "complete", f"warehouse order {state}"
    return None


# The warehouse order states in which its WMS call is still wanted.
_WMS_ORDER_STATES = {WorkKind.WMS_SUBMIT: ("allocated", "submitted"), WorkKind.WMS_CANCEL: ("cancel_requested",)}


def _claim(work_id: int, version: int | None) -> LaneEntry | None:
    """Lock released work, extend its lease for the run, close it if its subject moved on."""
    with transaction.atomic():
        entry = _locked_released(work_id, version)
        if entry is None:
            return None  # a stale or doubled nudge: the work already ran or went back to the queue
        moved_on = _subject_moved_on(entry)
        if moved_on is not None:
            _finish(entry, moved_on[0], reason=moved_on[1])
            return None
        entry.lease_until = timezone.now() + timedelta(seconds=settings.LANE_LEASE_SECONDS)
        entry.save(update_fields=["lease_until", "updated_at"])
    return entry


def _token(lane: Lane) -> gate.Token:
    """A rate token, waiting in-process for it when it comes within a second."""
    token = gate.take_token(lane_key=lane.key, rate=lane.requests_per_second, burst=lane.burst)
    while not token.granted and token.wait_seconds <= settings.LANE_TOKEN_WAIT_SECONDS:
        time.sleep(token.wait_seconds + random.uniform(0, 0.02))
        token = gate.take_token(lane_key=lane.key, rate=lane.requests_per_second, burst=lane.burst)
    return token


def _settle(work_id: int, outcome) -> LaneEntry | None:
    """Record the run's outcome on the work (if it is still released) and nudge its lane."""
    with transaction.atomic():
        entry = _locked_released(work_id)
        if entry is not None:
            outcome(entry)
    if entry is not None:
        lane_release(lane_id=entry.lane_id)
    return entry


def lane_work_run(*, work_id: int, version: int | None = None, gateway=None) -> LaneEntry | None:
    """Run one released work: a rate token from the gate right before the call, then the call.

    Called by the `run_lane_work` task (a nudge that may be lost, doubled or late: work that is no
    longer released is left alone, and the sweeper brings back work whose nudge never came).
    `gateway` replaces the carrier's gateway in tests.
    """
    entry = _claim(work_id, version)
    if entry is None:
        return None
    lane = entry.lane
    try:
        slot = gate.acquire_slot(
            lane_key=lane.key,
            work_id=entry.pk,
            max_in_flight=lane.max_in_flight,
            lease_seconds=settings.LANE_LEASE_SECONDS,
        )
        token = _token(lane) if slot.granted else None
    except gate.GateUnavailable as exc:
        reason = f"gate unavailable: {exc}"
        return _settle(work_id, lambda e: _back_to_queue(e, delay=1.0, reason=reason, spend_attempt=False))
    if not slot.granted:  # its lease ran out and the slot went to other work
        return _settle(work_id, lambda e: _back_to_queue(e, delay=0, reason="lost its slot", spend_attempt=False))
    if not token.granted:
        return _settle(
            work_id,
            lambda e: _back_to_queue(e, delay=token.wait_seconds, reason="waiting for the rate", spend_attempt=False),
        )
    if entry.kind == WorkKind.BOOK:
        return _run_booking(entry, gateway=gateway)
    if entry.kind == WorkKind.VOID:
        return _run_call(
            entry, lambda: distribution_order_void_at_carrier(distribution_order_id=entry.distribution_order_id)
        )
    if entry.kind == WorkKind.WMS_SUBMIT:
        if not entry.warehouse_order_id:
            entry = lane_work_plan(work_id=entry.pk)
            if entry is None or entry.state != R_:
                return entry
        return _run_call(entry, lambda: warehouse_order_submit(warehouse_order_id=entry.warehouse_order_id))
    if entry.kind == WorkKind.WMS_CANCEL:
        return _run_call(entry, lambda: warehouse_order_request_cancel(warehouse_order_id=entry.warehouse_order_id))
    if entry.kind == WorkKind.WMS_POLL:
        return _run_call(entry, lambda: _poll_warehouse(lane.downstream_code))
    if entry.kind == WorkKind.WMS_SNAPSHOT:
        return _run_call(entry, lambda: warehouse_stock_snapshot_reconcile(warehouse_code=lane.downstream_code))
    if entry.kind == WorkKind.ASN_ANNOUNCE:
        return _run_call(entry, lambda: asn_announce(asn_id=entry.asn_id))
    if entry.kind == WorkKind.LABEL:
        return _run_call(
            entry, lambda: distribution_order_fetch_label(distribution_order_id=entry.distribution_order_id)
        )
    if entry.kind == WorkKind.TRACK:
        return _run_call(entry, lambda: _poll(lane))
    raise ValueError(f"unknown lane work kind {entry.kind!r}")


def _poll_warehouse(warehouse_code: str) -> None:
    warehouse_poll_changes(warehouse_code=warehouse_code)
    for asn_id in asns_receiving(warehouse_code=warehouse_code):
        asn_receipts_poll(asn_id=asn_id)


def _poll(lane: Lane) -> None:
    ids = tracking_due(carrier_code=lane.downstream_code, limit=settings.TRACKING_BATCH_SIZE)
    tracking_poll(carrier_code=lane.downstream_code, distribution_order_ids=ids)


def _run_booking(entry: LaneEntry, *, gateway) -> LaneEntry | None:
    if not entry.distribution_order_id:
        entry = lane_work_plan(work_id=entry.pk)
        if entry is None or entry.state != R_:
            return entry
    started = time.monotonic()
    try:
        leg = distribution_order_book(distribution_order_id=entry.distribution_order_id, gateway=gateway)
    except BookingDeferred as exc:
        deferred, latency = exc, (time.monotonic() - started) * 1000
        return _settle(
            entry.pk,
            lambda e: _back_to_queue(
                e,
                delay=deferred.retry_in,
                reason=str(deferred),
                spend_attempt=not deferred.circuit_open,
                latency_ms=None if deferred.circuit_open else latency,
                timed_out=deferred.timed_out,
            ),
        )
    latency = (time.monotonic() - started) * 1000
    if leg.state == "booking_failed":
        # The `booking_failed` event asks shipping for a new route (handlers.reroute_after_failed_booking).
        return _settle(entry.pk, lambda e: _finish(e, "fail", reason=leg.last_error, latency_ms=latency))
    return _settle(entry.pk, lambda e: _finish(e, "complete", reason=f"leg {leg.state}", latency_ms=latency))


def _run_call(entry: LaneEntry, call) -> LaneEntry | None:
    started = time.monotonic()
    try:
        call()
    except (CarrierPermanentError, WmsRefused) as exc:
        refusal = getattr(exc, "message", None) or str(exc)
        return _settle(entry.pk, lambda e: _finish(e, "fail", reason=refusal))
    except (CarrierTransientError, WmsUnavailable, WarehouseCallDeferred) as exc:
        error, retry_in = str(exc), getattr(exc, "retry_in", None)
        circuit_open = retry_in is not None  # the breaker's CircuitOpen: no call was made
        latency = None if circuit_open else (time.monotonic() - started) * 1000
        timed_out = "Timeout" in error

        def outcome(e: LaneEntry) -> None:
            if e.kind in SWEEPING_KINDS or e.attempts + 1 >= settings.LANE_MAX_ATTEMPTS:
                # A failed poll is not retried as such: what it reads is due again and beat queues a new one.
                _finish(e, "fail", reason=error, latency_ms=latency, timed_out=timed_out)
            else:
                delay = retry_in if circuit_open else backoff_seconds(e.attempts + 1)
                _back_to_queue(
                    e,
                    delay=delay,
                    reason=error,
                    spend_attempt=not circuit_open,
                    latency_ms=latency,
                    timed_out=timed_out,
                )

        return _settle(entry.pk, outcome)
    latency = (time.monotonic() - started) * 1000
    return _settle(entry.pk, lambda e: _finish(e, "complete", latency_ms=latency))


# ---------------------------------------------------------------------------------------------
# Sweeping


def lane_sweep() -> dict[str, int]:
    """Nothing waits for a person because a message was lost (beat, every few seconds):

    - released work whose lease ran out (its worker died, its nudge was lost) goes back to the
      queue, or is closed if its subject moved on (leg booked, order cancelled);
    - queued work waiting longer than `LANE_AGING_SECONDS` (since it came or last aged) moves up
      one priority level, so old work never starves behind a stream of higher priority;
    - then every lane with queued work gets its release.
    """
    now = timezone.now()
    returned = closed = 0
    with transaction.atomic():
        expired = list(
            LaneEntry.objects.select_for_update(skip_locked=True)
            .select_related("lane")
            .filter(state=R_, lease_until__lt=now)
            .order_by("pk")[:500]
        )
        for entry in expired:
            moved_on = _subject_moved_on(entry)
            if moved_on is not None:
                _finish(entry, moved_on[0], reason=moved_on[1])
                closed += 1
            else:
                _back_to_queue(entry, delay=0, reason="lease expired", spend_attempt=False)
                returned += 1
    bound = now - timedelta(seconds=settings.LANE_AGING_SECONDS)
    aged = (
        LaneEntry.objects.filter(state=Q_, enqueued_at__lt=bound, priority__lt=PRIORITY_MAX)
        .filter(Q(aged_at__isnull=True) | Q(aged_at__lt=bound))
        .update(priority=F("priority") + PRIORITY_STEP, aged_at=now)
    )
    released = lane_release_all()
    return {"returned": returned, "closed": closed, "aged": aged, "released": released}
