"""Writes of the scheduling center: admission to lanes and release at each downstream's pace."""

from django.db import transaction
from django.utils import timezone

from apps.common.fsm import take_transition
from apps.distribution.selectors import carrier_circuit
from apps.fulfillment.services import fulfillment_start
from apps.orders.exceptions import OrderStateConflict
from apps.orders.selectors import order_get_for_fulfillment
from apps.orders.services import order_schedule
from apps.resources.selectors import carrier_get
from apps.scheduling import events
from apps.scheduling.models import Lane, LaneEntry, LaneEntryState

ACTOR = "system:scheduling"
PRIORITY_OF_SERVICE_LEVEL = {"express": 10, "standard": 5, "economy": 0}


def _carrier_lane(carrier_code: str) -> Lane:
    carrier = carrier_get(code=carrier_code)
    lane, _ = Lane.objects.get_or_create(
        key=f"carrier:{carrier.code}",
        defaults={
            "downstream_kind": "carrier",
            "downstream_code": carrier.code,
            "requests_per_second": carrier.requests_per_second,
            "max_in_flight": carrier.max_concurrent_calls,
        },
    )
    return lane


def _new_entry(order, *, actor: str) -> LaneEntry:
    lane = _carrier_lane(order.carrier_code)
    entry = LaneEntry.objects.create(
        lane=lane,
        order_id=order.id,
        merchant_id=order.merchant_id,
        priority=PRIORITY_OF_SERVICE_LEVEL.get(order.service_level, 0),
    )
    entry.history.create(
        merchant_id=order.merchant_id, transition="enqueue", from_state="", to_state=entry.state, actor=actor
    )
    return entry


def lane_enqueue(*, order_id: int, actor: str = ACTOR) -> LaneEntry:
    """Put an accepted order on the lane of its first downstream, then let through what fits."""
    with transaction.atomic():
        order = order_get_for_fulfillment(order_id=order_id)
        entry = _new_entry(order, actor=actor)
        order_schedule(order_id=order.id, lane=entry.lane.key, actor=actor)
        lane_release(lane_id=entry.lane_id)
    return entry


def lane_requeue(*, order_id: int, actor: str = ACTOR) -> LaneEntry:
    """Put a re-routed order on the lane of its new carrier, then let through what fits."""
    with transaction.atomic():
        entry = _new_entry(order_get_for_fulfillment(order_id=order_id), actor=actor)
        lane_release(lane_id=entry.lane_id)
    return entry


def order_reroute_request(*, order_id: int, merchant_id: int, reason: str) -> None:
    """Booking failed for good: ask the shipping center, which takes routing decisions, for the
    order's next route (`scheduling.order.reroute_requested`); it comes back through
    `lane_requeue`."""
    with transaction.atomic():
        events.order_reroute_requested(order_id=order_id, merchant_id=merchant_id, reason=reason, actor=ACTOR)


def _refresh_limits(lane: Lane) -> None:
    # Operations change limits in the resource center; the lane follows without a restart.
    if lane.downstream_kind == "carrier":
        carrier = carrier_get(code=lane.downstream_code)
        lane.requests_per_second = carrier.requests_per_second
        lane.max_in_flight = carrier.max_concurrent_calls


def _downstream_healthy(lane: Lane) -> bool:
    # While a carrier's circuit is open (or unknown, Redis not answering) its work waits here,
    # queued, instead of burning retries.
    return lane.downstream_kind != "carrier" or carrier_circuit(carrier_code=lane.downstream_code).taking_calls


def lane_release(*, lane_id: int) -> int:
    """Release queued entries, highest priority first, within the lane's rate and concurrency.

    The rate is a token bucket kept on the lane row (refilled by elapsed time, at most one
    second's worth banked); the row lock serialises releasers of the same lane.
    """
    with transaction.atomic():
        lane = Lane.objects.select_for_update().get(pk=lane_id)
        if lane.paused or not _downstream_healthy(lane):
            return 0
        _refresh_limits(lane)
        now = timezone.now()
        elapsed = (now - lane.refilled_at).total_seconds() if lane.refilled_at else 1.0
        lane.tokens = min(float(lane.requests_per_second), lane.tokens + elapsed * lane.requests_per_second)
        lane.refilled_at = now
        in_flight = lane.entries.filter(state=LaneEntryState.RELEASED).count()
        room = min(int(lane.tokens), lane.max_in_flight - in_flight)
        released = 0
        if room > 0:
            entries = list(
                lane.entries.select_for_update(skip_locked=True)
                .filter(state=LaneEntryState.QUEUED)
                .order_by("-priority", "id")[:room]
            )
            for entry in entries:
                released += _release(entry, now=now)
            lane.tokens -= released
        lane.save(update_fields=["tokens", "refilled_at", "requests_per_second", "max_in_flight"])
    return released


def _release(entry: LaneEntry, *, now) -> int:
    try:
        with transaction.atomic():
            entry.released_at = now
            take_transition(entry, "release", actor=ACTOR)
            fulfillment_start(order_id=entry.order_id, actor=ACTOR)
        return 1
    except OrderStateConflict as exc:
        # Cancelled while it waited: drop it from the lane instead of blocking the lane.
        entry.refresh_from_db()
        entry.finished_at = now
        take_transition(entry, "fail", actor=ACTOR, reason=exc.message)
        return 0


def lane_entry_withdraw(*, order_id: int, reason: str) -> LaneEntry | None:
    """An order left before release (cancelled): take it off its lane."""
    with transaction.atomic():
        entry = LaneEntry.objects.select_for_update().filter(order_id=order_id, state=LaneEntryState.QUEUED).first()
        if entry is not None:
            entry.finished_at = timezone.now()
            take_transition(entry, "fail", actor=ACTOR, reason=reason)
    return entry


def lane_entry_finish(*, order_id: int, succeeded: bool, reason: str = "") -> LaneEntry | None:
    """The downstream is done with an order's work: free its slot and let the next one through."""
    with transaction.atomic():
        entry = (
            LaneEntry.objects.select_for_update()
            .filter(order_id=order_id, state__in=[LaneEntryState.QUEUED, LaneEntryState.RELEASED])
            .first()
        )
        if entry is None:
            return None
        if not succeeded or entry.state == LaneEntryState.RELEASED:
            entry.finished_at = timezone.now()
            take_transition(entry, "complete" if succeeded else "fail", actor=ACTOR, reason=reason)
        lane_release(lane_id=entry.lane_id)
    return entry


def lane_release_all() -> int:
    """Give every lane with waiting work its chance; run about once a second."""
    lane_ids = LaneEntry.objects.filter(state=LaneEntryState.QUEUED).values_list("lane_id", flat=True).distinct()
    return sum(lane_release(lane_id=lane_id) for lane_id in lane_ids)
