"""Reads of the back office, gathered from every center through their selectors: one order as
operations see it, the dashboard's figures, and stuck work by reason."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from apps.backoffice.models import StaffActionRecord, WorkAssignment
from apps.common.breaker import circuit_status
from apps.common.outbox import OutboxLag, outbox_lag
from apps.common.stuck import StuckGroup
from apps.common.workers import WorkerHeartbeat, queue_depths, worker_heartbeats
from apps.distribution.selectors import (
    carrier_calls_for_orders,
    carrier_health_report,
    distribution_orders_for_order,
    distribution_orders_stuck_groups,
)
from apps.fulfillment.selectors import fulfillment_for_order
from apps.orders.selectors import (
    order_counts_closed_estimate,
    order_counts_open,
    orders_accepted_per_minute,
    orders_by_carrier_recent,
    orders_stuck,
)
from apps.resources.selectors import carrier_list
from apps.scheduling.selectors import (
    LaneFigures,
    lane_entry_for_order,
    lane_entry_history,
    lane_figures,
    lane_work_stuck,
)
from apps.warehouse.selectors import warehouse_order_list, warehouse_orders_stuck, wms_calls_for_orders
from apps.webhooks.selectors import deliveries_for_order, deliveries_stuck


@dataclass(frozen=True)
class OrderOperations:
    """What happened to one order beyond its own record: its place on a lane and that work's
    history, its fulfilment legs, its distribution and warehouse orders and every call made to
    carriers and WMSs for them, the webhooks sent to the merchant about it, and what staff did to it and to whom its
    work was handed."""

    lane_entry: object | None
    lane_history: tuple
    fulfillment: object | None
    legs: tuple
    distribution_orders: tuple
    carrier_calls: tuple
    warehouse_orders: tuple
    wms_calls: tuple
    webhook_deliveries: tuple
    staff_actions: tuple
    assignments: tuple


def order_operations(*, order_id: int) -> OrderOperations:
    """A fixed number of queries, however many legs, calls or deliveries the order has."""
    fulfillment = fulfillment_for_order(order_id=order_id)
    distribution_orders = tuple(distribution_orders_for_order(order_id=order_id))
    warehouse_orders = tuple(warehouse_order_list(order_id=order_id))
    lane_entry = lane_entry_for_order(order_id=order_id)
    return OrderOperations(
        lane_entry=lane_entry,
        lane_history=tuple(lane_entry_history(entry_id=lane_entry.id)) if lane_entry else (),
        fulfillment=fulfillment,
        legs=tuple(fulfillment.legs.all()) if fulfillment is not None else (),
        distribution_orders=distribution_orders,
        carrier_calls=tuple(carrier_calls_for_orders(distribution_order_ids=[d.id for d in distribution_orders])),
        warehouse_orders=warehouse_orders,
        wms_calls=tuple(wms_calls_for_orders(warehouse_order_ids=[w.id for w in warehouse_orders])),
        webhook_deliveries=tuple(deliveries_for_order(order_id=order_id)),
        staff_actions=tuple(StaffActionRecord.objects.filter(order_id=order_id)[:100]),
        assignments=tuple(WorkAssignment.objects.filter(order_id=order_id).select_related("assignee")[:20]),
    )


# ---------------------------------------------------------------------------------------------
# The dashboard


@dataclass(frozen=True)
class DownstreamHealth:
    """One outside system over the window, keyed by downstream (`kind`: carrier, warehouse).

    Carriers are read from their calls (distribution's `CarrierCall`: outcome and latency
    percentiles) and their breaker; every other kind from its lane (work completed or failed, the
    gate's moving average latency) and the breaker of the same name (`warehouse:<code>`,
    apps.common.breaker): every WMS call is lane work on its warehouse's lane."""

    kind: str
    code: str
    breaker: str  # closed, open, half-open, or unknown while Redis does not answer
    calls: int
    success_rate: float | None
    latency_p50_ms: int | None
    latency_p95_ms: int | None


@dataclass(frozen=True)
class DashboardFigures:
    at: datetime
    window_minutes: int
    accepted_per_minute: list[tuple[datetime, int]]
    open_by_state: dict[str, int]  # exact
    closed_by_state: dict[str, int]  # estimates from PostgreSQL's statistics
    by_carrier: list[tuple[str, int]]  # orders made in the last 24 hours
    lanes: list[LaneFigures]
    release_window_minutes: int
    downstreams: list[DownstreamHealth]
    outbox: OutboxLag
    queues: dict[str, int] | None  # None: Redis did not answer
    workers: list[WorkerHeartbeat] | None
    stuck: list[StuckGroup]

    @property
    def open_breakers(self) -> list[DownstreamHealth]:
        return [d for d in self.downstreams if d.breaker != "closed"]


HEALTH_WINDOW = timedelta(hours=1)
RELEASE_WINDOW = timedelta(minutes=5)
COUNT_WINDOW = timedelta(hours=24)


def downstream_health(*, since: datetime, lanes: list[LaneFigures]) -> list[DownstreamHealth]:
    carriers = [
        DownstreamHealth(
            kind="carrier",
            code=h.carrier_code,
            breaker=h.circuit.state,
            calls=h.calls,
            success_rate=h.booking_success_rate,
            latency_p50_ms=h.latency_p50_ms,
            latency_p95_ms=h.latency_p95_ms,
        )
        for h in carrier_health_report(carrier_codes=[c.code for c in carrier_list()], since=since)
    ]
    others = [
        DownstreamHealth(
            kind=lane.kind,
            code=lane.code,
            breaker=circuit_status(lane.key).state,
            calls=lane.completed + lane.failed,
            success_rate=lane.success_rate,
            latency_p50_ms=int(lane.avg_latency_ms) if lane.avg_latency_ms is not None else None,
            latency_p95_ms=None,
        )
        for lane in lanes
        if lane.kind != "carrier"
    ]
    return carriers + others


def dashboard_figures(*, now: datetime | None = None) -> DashboardFigures:
    """Everything the dashboard shows, read in a fixed number of cheap queries: windows on
    time-ordered ids or on partial indexes, bounded counts, and a few Redis round trips.
    Nothing counts the whole orders table."""
    now = now or timezone.now()
    lanes = lane_figures(since=now - RELEASE_WINDOW)
    return DashboardFigures(
        at=now,
        window_minutes=int(HEALTH_WINDOW.total_seconds() // 60),
        accepted_per_minute=orders_accepted_per_minute(since=now - HEALTH_WINDOW),
        open_by_state=order_counts_open(),
        closed_by_state=order_counts_closed_estimate(),
        by_carrier=orders_by_carrier_recent(since=now - COUNT_WINDOW),
        lanes=lanes,
        release_window_minutes=int(RELEASE_WINDOW.total_seconds() // 60),
        downstreams=downstream_health(since=now - HEALTH_WINDOW, lanes=lanes),
        outbox=outbox_lag(),
        queues=queue_depths(queues=list(settings.OPERATIONS_QUEUES)),
        workers=worker_heartbeats(),
        stuck=stuck_work(sample=0),
    )


# ---------------------------------------------------------------------------------------------
# Stuck work

# Each center reports its own stuck work (its `selectors.py`, `apps.common.stuck` groups).
STUCK_SOURCES = (
    orders_stuck,
    lane_work_stuck,
    distribution_orders_stuck_groups,
    warehouse_orders_stuck,
    deliveries_stuck,
)


def stuck_work(*, sample: int = 10, older_than: timedelta | None = None) -> list[StuckGroup]:
    """Every center's stuck work, grouped by reason, biggest group first."""
    older_than = older_than or timedelta(minutes=settings.STUCK_WORK_MINUTES)
    groups = [group for source in STUCK_SOURCES for group in source(older_than=older_than, sample=sample)]
    return sorted(groups, key=lambda g: (-g.count, g.center, g.reason))
