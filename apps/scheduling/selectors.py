"""Reads of the scheduling center."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone

from apps.common.stuck import StuckGroup, stuck_groups
from apps.distribution.selectors import CarrierHealth, carrier_health_report
from apps.scheduling import gate
from apps.scheduling.models import Lane, LaneEntry, LaneEntryState, LaneEntryTransition, WorkKind


def lane_entry_for_order(*, order_id: int) -> LaneEntry | None:
    """The order's latest booking work (its place on a carrier's lane)."""
    return (
        LaneEntry.objects.select_related("lane").filter(order_id=order_id, kind=WorkKind.BOOK).order_by("-id").first()
    )


def lane_entry_history(*, entry_id: int, limit: int = 100) -> QuerySet[LaneEntryTransition]:
    """A lane work's steps, oldest first: enqueue, release, requeue, holds and retries by staff."""
    return LaneEntryTransition.objects.filter(lane_entry_id=entry_id).order_by("occurred_at", "id")[:limit]


@dataclass(frozen=True)
class OrderWait:
    """Why an order's booking has not gone to its carrier yet.

    `held_by` is one of: `queue` (work ahead of it), `rate`, `in_flight`, `breaker`, `paused` (the
    lane), `held` (this one order, by operations),
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
    if entry.held_by:
        # Who holds it is in the work's history (the admin shows it); the merchant learns only that it is held.
        held_by, reason, estimate = "held", "held by operations; it keeps its place on the lane", None
    elif entry.not_before and entry.not_before > now:
        held_by, reason = "retry", f"attempt {entry.attempts} failed ({entry.last_error or 'no answer'}); next try then"
        estimate = max(int((entry.not_before - now).total_seconds()), place // rate)
    else:
        held_by = next((word for words, word in _HOLDS if words in lane.hold_reason), "")
        held_by = held_by or ("queue" if place > 1 else "rate")
        reason = lane.hold_reason or (f"{place - 1} booking(s) ahead of it" if place > 1 else "next to go")
        # Unknown while the carrier or Redis holds the lane; else the lane's pace through the work ahead.
        estimate = None if held_by in ("paused", "redis", "breaker") else -(-place // rate)
    return OrderWait(lane.key, entry.state, place, held_by, reason, estimate, entry.enqueued_at)


def lane_work_stuck(*, older_than: timedelta, sample: int = 10) -> list[StuckGroup]:
    """Lane work with no progress: held by operations (any age), queued past `older_than` (on a
    paused lane, on a lane held by its breaker, Redis or its in-flight limit, after failed attempts,
    or just in line), or released with its lease run out (its worker died; the sweeper should
    bring it back). Rides the queue's partial indexes."""
    now = timezone.now()
    old = Q(state=LaneEntryState.QUEUED, enqueued_at__lt=now - older_than)
    return stuck_groups(
        center="scheduling",
        kind="lane_entry",
        queryset=LaneEntry.objects.select_related("lane"),
        reasons=[
            ("held by operations", Q(state=LaneEntryState.QUEUED) & ~Q(held_by="")),
            ("on a paused lane", old & Q(lane__paused=True)),
            ("lane held (breaker, Redis or in-flight limit)", old & ~Q(lane__hold_reason="")),
            ("retrying after failed attempts", old & Q(attempts__gt=0)),
            ("waiting in line", old),
            ("call past its lease", Q(state=LaneEntryState.RELEASED, lease_until__lt=now)),
        ],
        since_field="enqueued_at",
        detail=lambda e: (
            f"{e.kind} on {e.lane.key}, priority {e.priority}, attempts {e.attempts}"
            + (f", held by {e.held_by}" if e.held_by else "")
            + (f": {e.last_error}" if e.last_error else (f": {e.lane.hold_reason}" if e.lane.hold_reason else ""))
        ),
        sample=sample,
    )


@dataclass(frozen=True)
class LaneFigures:
    """One downstream's lane now and over the window: its depth, what is in flight, what was
    released, and how the released work ended (completed or failed), with the gate's moving
    average latency. Keyed by downstream (`kind`, `code`), carriers and warehouse systems alike."""

    key: str
    kind: str
    code: str
    paused: bool
    hold_reason: str
    queued: int
    in_flight: int
    released: int
    completed: int
    failed: int
    avg_latency_ms: float | None

    @property
    def success_rate(self) -> float | None:
        ended = self.completed + self.failed
        return self.completed / ended if ended else None


def lane_figures(*, since: datetime) -> list[LaneFigures]:
    """Every lane's figures (see `LaneFigures`): four grouped queries on the queue's partial
    indexes and the recent-release and recent-finish indexes, one Redis round trip per lane."""
    lanes = list(Lane.objects.order_by("key"))
    now_counts = LaneEntry.objects.filter(state__in=[LaneEntryState.QUEUED, LaneEntryState.RELEASED])
    waiting = {
        (r["lane_id"], r["state"]): r["n"] for r in now_counts.values("lane_id", "state").annotate(n=Count("id"))
    }
    released = dict(
        LaneEntry.objects.filter(released_at__gte=since)
        .values("lane_id")
        .annotate(n=Count("id"))
        .values_list("lane_id", "n")
    )
    ended = {
        (r["lane_id"], r["state"]): r["n"]
        for r in LaneEntry.objects.filter(finished_at__gte=since).values("lane_id", "state").annotate(n=Count("id"))
    }
    figures = []
    for lane in lanes:
        try:
            latency = gate.gate_state(lane_key=lane.key, max_in_flight=lane.max_in_flight).avg_latency_ms
        except gate.GateUnavailable:
            latency = None
        figures.append(
            LaneFigures(
                key=lane.key,
                kind=lane.downstream_kind,
                code=lane.downstream_code,
                paused=lane.paused,
                hold_reason=lane.hold_reason,
                queued=waiting.get((lane.pk, LaneEntryState.QUEUED), 0),
                in_flight=waiting.get((lane.pk, LaneEntryState.RELEASED), 0),
                released=released.get(lane.pk, 0),
                completed=ended.get((lane.pk, LaneEntryState.COMPLETED), 0),
                failed=ended.get((lane.pk, LaneEntryState.FAILED), 0),
                avg_latency_ms=latency,
            )
        )
    return figures


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
