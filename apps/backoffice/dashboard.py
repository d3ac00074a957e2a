"""The dashboard's panels: each figure of `selectors.dashboard_figures` as a chart and, beside
it, the same numbers as a table (what a screen reader reads; the chart is decoration for it)."""

from dataclasses import dataclass, field

from apps.backoffice.selectors import DashboardFigures
from apps.common import charts


@dataclass
class Panel:
    key: str
    title: str
    headers: list[str]
    rows: list[tuple]
    chart: str | None = None  # a data: URI of the SVG
    note: str = ""
    alert: bool = False
    extra: dict = field(default_factory=dict)


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.0f} %"


def _ms(value) -> str:
    return "—" if value is None else f"{value} ms"


def panels(figures: DashboardFigures) -> list[Panel]:
    f = figures
    oldest = f.outbox.oldest_unrelayed_at
    oldest_waiting = (f.at - oldest).total_seconds() if oldest else 0.0
    minutes = [(m.strftime("%H:%M"), n) for m, n in f.accepted_per_minute]
    total = sum(n for _, n in minutes)
    result = [
        Panel(
            "accepted",
            f"Orders accepted per minute, last {f.window_minutes} minutes",
            ["minute (UTC)", "orders"],
            minutes[::-1],
            charts.line(title="", labels=[m for m, _ in minutes], values=[n for _, n in minutes]) if minutes else None,
            note=f"{total} in the hour, {total / max(f.window_minutes, 1):.1f} a minute on average.",
        ),
        Panel(
            "states",
            "Orders by state: open ones counted, closed ones estimated",
            ["state", "orders"],
            [(state, n) for state, n in f.open_by_state.items()]
            + [(state, f"about {n:,}") for state, n in f.closed_by_state.items() if n],
            charts.bars(
                title="",
                labels=list(f.open_by_state),
                series={"orders": list(f.open_by_state.values())},
                horizontal=True,
            ),
            note="Closed orders (delivered, cancelled, returned) as of PostgreSQL's last ANALYZE.",
        ),
        Panel(
            "carriers",
            "Orders by carrier, made in the last 24 hours",
            ["carrier", "orders"],
            f.by_carrier,
            charts.bars(
                title="",
                labels=[c for c, _ in f.by_carrier],
                series={"orders": [n for _, n in f.by_carrier]},
                horizontal=True,
            )
            if f.by_carrier
            else None,
        ),
        Panel(
            "lanes",
            f"Lanes: depth now, releases over the last {f.release_window_minutes} minutes",
            ["lane", "queued", "in flight", "released", "per minute", "held"],
            [
                (
                    lane.key,
                    lane.queued,
                    lane.in_flight,
                    lane.released,
                    f"{lane.released / f.release_window_minutes:.1f}",
                    "paused" if lane.paused else (lane.hold_reason or "—"),
                )
                for lane in f.lanes
            ],
            charts.bars(
                title="",
                labels=[lane.key for lane in f.lanes],
                series={
                    "queued": [lane.queued for lane in f.lanes],
                    "in flight": [lane.in_flight for lane in f.lanes],
                    "released": [lane.released for lane in f.lanes],
                },
            )
            if f.lanes
            else None,
        ),
        Panel(
            "downstreams",
            f"Carriers and warehouse systems, last {f.window_minutes} minutes",
            ["downstream", "breaker", "calls", "success", "latency p50", "latency p95"],
            [
                (
                    f"{d.kind}:{d.code}",
                    d.breaker,
                    d.calls,
                    _percent(d.success_rate),
                    _ms(d.latency_p50_ms),
                    _ms(d.latency_p95_ms),
                )
                for d in f.downstreams
            ],
            charts.bars(
                title="",
                labels=[f"{d.kind}:{d.code}" for d in f.downstreams],
                series={
                    "success %": [
                        None if d.success_rate is None else round(d.success_rate * 100) for d in f.downstreams
                    ]
                },
                range=(0, 100),
            )
            if f.downstreams
            else None,
            note="Warehouse systems appear as their calls run on lanes (warehouse:<code>).",
        ),
        Panel(
            "breakers",
            "Open breakers",
            ["downstream", "state"],
            [(f"{d.kind}:{d.code}", d.breaker) for d in f.open_breakers],
            note="" if f.open_breakers else "Every breaker is closed.",
            alert=bool(f.open_breakers),
        ),
        Panel(
            "outbox",
            "Outbox",
            ["events not relayed", "oldest waiting", "deliveries not finished", "published again"],
            [
                (
                    f.outbox.unrelayed,
                    "—" if f.outbox.oldest_unrelayed_at is None else f"{oldest_waiting:.0f} s",
                    f.outbox.deliveries_waiting,
                    f.outbox.deliveries_published_again,
                )
            ],
            alert=oldest_waiting > 60,
        ),
    ]
    queues = f.queues or {}
    result.append(
        Panel(
            "queues",
            "Celery queues",
            ["queue", "messages waiting"],
            list(queues.items()),
            charts.bars(title="", labels=list(queues), series={"messages": list(queues.values())}) if queues else None,
            note="" if f.queues is not None else "Redis did not answer: queue depths unknown.",
            alert=f.queues is None,
        )
    )
    workers = f.workers or []
    result.append(
        Panel(
            "workers",
            "Workers",
            ["worker", "last heartbeat", "state"],
            [(w.hostname, f"{w.seconds_ago:.0f} s ago", "alive" if w.alive else "silent") for w in workers],
            note=(
                "Redis did not answer: heartbeats unknown."
                if f.workers is None
                else ("" if workers else "No worker has written a heartbeat.")
            ),
            alert=f.workers is None or not workers or any(not w.alive for w in workers),
        )
    )
    stuck = [(g.center, g.reason, f"{g.count}+" if g.capped else g.count) for g in f.stuck]
    result.append(
        Panel(
            "stuck",
            "Stuck work by reason",
            ["center", "reason", "items"],
            stuck,
            charts.bars(
                title="",
                labels=[f"{g.center}: {g.reason}" for g in f.stuck],
                series={"items": [g.count for g in f.stuck]},
                horizontal=True,
            )
            if f.stuck
            else None,
            note="" if f.stuck else "Nothing is stuck.",
            alert=bool(f.stuck),
        )
    )
    return result
