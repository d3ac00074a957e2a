"""Reads of the scheduling center."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Min, Q
from django.utils import timezone

from apps.distribution.selectors import CarrierHealth, carrier_health_report
from apps.scheduling import gate
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
class MerchantShare:
    """One merchant's part of a lane: work waiting now, and work let through lately."""

    merchant_id: int
    queued: int
    queued_share: float
    released_recently: int
    released_share: float


@dataclass(frozen=True)
class LaneOverview:
    """A lane as operations see it on its page: depth, pace, limits, health, who it serves."""

    lane: Lane
    queued: int
    in_flight: int
    released_last_minute: int
    oldest_waiting_since: datetime | None
    gate: gate.GateState | None  # None while Redis does not answer
    health: CarrierHealth | None  # carrier lanes: circuit, success rate and latency over the last hour
    merchants: tuple[MerchantShare, ...]


SHARE_WINDOW = timedelta(minutes=10)


def lane_overview(*, lane: Lane, now: datetime | None = None, top: int = 10) -> LaneOverview:
    """Everything the lane page shows, in four queries and one Redis round trip. `merchants` are
    the `top` merchants by waiting work, then by work released in the last ten minutes (merchant 0
    is the platform's own work: tracking polls)."""
    now = now or timezone.now()
    entries = LaneEntry.objects.filter(lane=lane)
    totals = entries.aggregate(
        queued=Count("id", filter=Q(state=LaneEntryState.QUEUED)),
        in_flight=Count("id", filter=Q(state=LaneEntryState.RELEASED)),
        released_last_minute=Count("id", filter=Q(released_at__gte=now - timedelta(minutes=1))),
        oldest=Min("enqueued_at", filter=Q(state=LaneEntryState.QUEUED)),
    )
    waiting = dict(
        entries.filter(state=LaneEntryState.QUEUED)
        .values_list("merchant_id")
        .annotate(n=Count("id"))
        .values_list("merchant_id", "n")
    )
    released = dict(
        entries.filter(released_at__gte=now - SHARE_WINDOW)
        .values_list("merchant_id")
        .annotate(n=Count("id"))
        .values_list("merchant_id", "n")
    )
    queued_total, released_total = sum(waiting.values()), sum(released.values())
    ranked = sorted(set(waiting) | set(released), key=lambda m: (-waiting.get(m, 0), -released.get(m, 0), m))
    merchants = tuple(
        MerchantShare(
            merchant_id=m,
            queued=waiting.get(m, 0),
            queued_share=waiting.get(m, 0) / queued_total if queued_total else 0.0,
            released_recently=released.get(m, 0),
            released_share=released.get(m, 0) / released_total if released_total else 0.0,
        )
        for m in ranked[:top]
    )
    try:
        gate_now = gate.gate_state(lane_key=lane.key, max_in_flight=lane.max_in_flight)
    except gate.GateUnavailable:
        gate_now = None
    health = None
    if lane.downstream_kind == "carrier":
        health = carrier_health_report(carrier_codes=[lane.downstream_code], since=now - timedelta(hours=1))[0]
    return LaneOverview(
        lane=lane,
        queued=totals["queued"],
        in_flight=totals["in_flight"],
        released_last_minute=totals["released_last_minute"],
        oldest_waiting_since=totals["oldest"],
        gate=gate_now,
        health=health,
        merchants=merchants,
    )


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
        .annotate(n=Count("*"), oldest=Min("enqueued_at"))
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
