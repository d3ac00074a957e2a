"""Reads of the scheduling center."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Min, Q
from django.utils import timezone

from apps.scheduling.models import Lane, LaneEntry, LaneEntryState, WorkKind


def lane_entry_for_order(*, order_id: int) -> LaneEntry | None:
    """The order's latest booking work (its place on a carrier's lane)."""
    return (
        LaneEntry.objects.select_related("lane").filter(order_id=order_id, kind=WorkKind.BOOK).order_by("-id").first()
    )


@dataclass(frozen=True)
class OrderWait:
    """Why an order's booking has not gone to its carrier yet.

    `held_by` is one of: `queue` (work ahead of it), `rate`, `in_flight`, `breaker`, `paused`,
    `redis` (the lane cannot count and holds, fail closed), `retry` (a failed attempt waits for its
    backoff), or `released` (its call is under way). `place` is 1 for the next to go."""

    lane: str
    state: str
    place: int
    held_by: str
    reason: str
    estimate_seconds: int | None
    waiting_since: datetime


# The lane's own words (services._hold) to the one word an API client can switch on.
_HOLDS = (("paused", "paused"), ("redis", "redis"), ("breaker", "breaker"), ("in-flight", "in_flight"))


def order_wait(*, order_id: int, now: datetime | None = None) -> OrderWait | None:
    """The order's place on its carrier's lane and what holds it, or None when its booking is not
    waiting (not yet on a lane, or done). Two queries: the work with its lane, and a count of the
    work ahead of it on the lane's fair-queue index."""
    now = now or timezone.now()
    entry = lane_entry_for_order(order_id=order_id)
    if entry is None or entry.state not in (LaneEntryState.QUEUED, LaneEntryState.RELEASED):
        return None
    lane = entry.lane
    if entry.state == LaneEntryState.RELEASED:
        return OrderWait(
            lane.key, entry.state, 0, "released", "its call to the carrier is under way", 0, entry.enqueued_at
        )
    ahead = LaneEntry.objects.filter(lane=lane, state=LaneEntryState.QUEUED).filter(
        Q(priority__gt=entry.priority)
        | Q(priority=entry.priority, virtual_start__lt=entry.virtual_start)
        | Q(priority=entry.priority, virtual_start=entry.virtual_start, id__lt=entry.id)
    )
    place = ahead.count() + 1
    rate = max(lane.requests_per_second, 1)
    if entry.not_before and entry.not_before > now:
        held_by, reason = "retry", f"attempt {entry.attempts} failed ({entry.last_error or 'no answer'}); next try then"
        estimate = max(int((entry.not_before - now).total_seconds()), place // rate)
    else:
        held_by = next((word for words, word in _HOLDS if words in lane.hold_reason), "")
        held_by = held_by or ("queue" if place > 1 else "rate")
        reason = lane.hold_reason or (f"{place - 1} booking(s) ahead of it" if place > 1 else "next to go")
        # Unknown while the carrier or Redis holds the lane; else the lane's pace through the work ahead.
        estimate = None if held_by in ("paused", "redis", "breaker") else -(-place // rate)
    return OrderWait(lane.key, entry.state, place, held_by, reason, estimate, entry.enqueued_at)


@dataclass(frozen=True)
class LaneDepth:
    lane: str
    downstream_kind: str
    downstream_code: str
    queued: int
    released: int
    oldest_queued_at: datetime | None
    paused: bool
    hold_reason: str


def lane_depths() -> list[LaneDepth]:
    """Every lane with its queued and released work and its oldest waiting work: two queries, the
    lanes (a few) and one grouped scan of the active work (the partial indexes' rows)."""
    active = {
        (row["lane_id"], row["state"]): row
        for row in LaneEntry.objects.filter(state__in=[LaneEntryState.QUEUED, LaneEntryState.RELEASED])
        .values("lane_id", "state")
        .annotate(n=Count("id"), oldest=Min("enqueued_at"))
        .order_by()
    }
    depths = []
    for lane in Lane.objects.order_by("key"):
        queued = active.get((lane.pk, LaneEntryState.QUEUED), {})
        released = active.get((lane.pk, LaneEntryState.RELEASED), {})
        depths.append(
            LaneDepth(
                lane=lane.key,
                downstream_kind=lane.downstream_kind,
                downstream_code=lane.downstream_code,
                queued=queued.get("n", 0),
                released=released.get("n", 0),
                oldest_queued_at=queued.get("oldest"),
                paused=lane.paused,
                hold_reason=lane.hold_reason,
            )
        )
    return depths
