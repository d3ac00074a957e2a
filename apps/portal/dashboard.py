"""The merchant's dashboard (the portal's home): how the last seven days went, each figure as a
chart and, behind it, the same numbers as a table (what a screen reader reads; the chart is an
image with no text of its own). The reads are the order center's bounded selectors; charts are
drawn on the server by pygal (apps.common.charts), so the page loads nothing from elsewhere."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.common import charts
from apps.orders.models import OrderState
from apps.orders.selectors import (
    ACTION_CAP,
    merchant_deliveries,
    merchant_orders_made_since,
    merchant_orders_needing_action,
)
from apps.resources.selectors import services_transit_days_max

WEEK = timedelta(days=7)
# An order still waiting for its booking this long after it was made is stuck.
STUCK_AFTER = timedelta(hours=24)

ACTION_WORDS = {
    "exception": gettext_lazy("Flagged for a person (exception)"),
    "customs_hold": gettext_lazy("Held in customs"),
    "delivery_failed": gettext_lazy("Delivery attempt failed"),
    "waiting": gettext_lazy("Waiting for a booking for more than a day"),
}


@dataclass(frozen=True)
class CarrierSpend:
    carrier_code: str
    currency: str
    orders: int
    total: Decimal


@dataclass
class Panel:
    key: str
    title: str
    headers: list[str]
    rows: list[tuple]
    chart: str | None = None  # a data: URI of the SVG
    note: str = ""
    extra: dict = field(default_factory=dict)


@dataclass
class Dashboard:
    since: datetime
    panels: list[Panel]
    on_time_rate: float | None
    needing_action: list
    action_total: int
    action_capped: bool


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.0f} %"


def merchant_dashboard(*, merchant_id: int, now: datetime) -> Dashboard:
    since = now - WEEK
    groups = merchant_orders_made_since(merchant_id=merchant_id, since=since)
    by_state: dict[str, int] = {}
    spent: dict[tuple[str, str], list] = {}  # (carrier, currency) -> [orders, total]; cancelled ones cost nothing
    for group in groups:
        by_state[group.state] = by_state.get(group.state, 0) + group.orders
        if group.state != OrderState.CANCELLED and group.carrier_code:
            counted = spent.setdefault((group.carrier_code, group.currency), [0, Decimal(0)])
            counted[0] += group.orders
            counted[1] += group.total
    state_rows = [(label, by_state[value]) for value, label in OrderState.choices if by_state.get(value)]
    spend = [
        CarrierSpend(carrier, currency, orders, total)
        for (carrier, currency), (orders, total) in sorted(spent.items(), key=lambda item: (-item[1][1], item[0]))
    ]
    deliveries = merchant_deliveries(merchant_id=merchant_id, since=since)
    promised = services_transit_days_max(keys={(d.carrier_code, d.service_code) for d in deliveries})
    on_time_by_carrier: dict[str, list[int]] = {}
    for d in deliveries:
        counted = on_time_by_carrier.setdefault(d.carrier_code or "—", [0, 0, 0])  # delivered, on time, unknown
        counted[0] += d.orders
        limit = promised.get((d.carrier_code, d.service_code))
        if limit is None:
            counted[2] += d.orders
        elif d.days <= limit:
            counted[1] += d.orders
    judged = sum(c[0] - c[2] for c in on_time_by_carrier.values())
    on_time = sum(c[1] for c in on_time_by_carrier.values())
    on_time_rate = on_time / judged if judged else None
    action = merchant_orders_needing_action(merchant_id=merchant_id, waiting_since=now - STUCK_AFTER)

    currencies = {s.currency for s in spend}
    panels = [
        Panel(
            "states",
            _("Orders made in the last 7 days, by state"),
            [_("state"), _("orders")],
            state_rows,
            charts.bars(
                title="",
                labels=[str(label) for label, _n in state_rows],
                series={_("orders"): [n for _label, n in state_rows]},
                horizontal=True,
            )
            if state_rows
            else None,
            note=_("%(count)s orders in all.") % {"count": sum(by_state.values())},
        ),
        Panel(
            "spend",
            _("Spend by carrier, orders made in the last 7 days"),
            [_("carrier"), _("orders"), _("quoted total")],
            [(s.carrier_code, s.orders, f"{s.total:,.2f} {s.currency}") for s in spend],
            charts.bars(
                title="",
                labels=[f"{s.carrier_code} ({s.currency})" for s in spend],
                series={_("quoted total"): [float(s.total) for s in spend]},
                horizontal=True,
            )
            if spend
            else None,
            note=_("Quoted prices; cancelled orders are left out.")
            + (" " + _("Totals in different currencies are not added up.") if len(currencies) > 1 else ""),
        ),
        Panel(
            "on-time",
            _("Delivered in the last 7 days, and on time"),
            [_("carrier"), _("delivered"), _("on time"), _("on-time rate")],
            [
                (carrier, c[0], c[1], _percent(c[1] / (c[0] - c[2]) if c[0] - c[2] else None))
                for carrier, c in sorted(on_time_by_carrier.items())
            ],
            charts.bars(
                title="",
                labels=sorted(on_time_by_carrier),
                series={
                    _("on time %"): [
                        round(100 * c[1] / (c[0] - c[2])) if c[0] - c[2] else None
                        for _carrier, c in sorted(on_time_by_carrier.items())
                    ]
                },
                range=(0, 100),
            )
            if on_time_by_carrier
            else None,
            note=_("On time: delivered by the last day the service promised when the order was accepted."),
        ),
    ]
    action_rows = [(ACTION_WORDS[reason], n) for reason, n in action.counts.items()]
    panels.append(
        Panel(
            "action",
            _("Orders that need action now"),
            [_("why"), _("orders")],
            action_rows,
            charts.bars(
                title="",
                labels=[str(words) for words, _n in action_rows],
                series={_("orders"): [n for _words, n in action_rows]},
                horizontal=True,
            )
            if any(n for _words, n in action_rows)
            else None,
            note=_("Counted up to %(cap)s.") % {"cap": f"{ACTION_CAP:,}"} if action.capped else "",
        )
    )
    return Dashboard(
        since=since,
        panels=panels,
        on_time_rate=on_time_rate,
        needing_action=[(order, ACTION_WORDS.get(order.state, ACTION_WORDS["waiting"])) for order in action.orders],
        action_total=sum(action.counts.values()),
        action_capped=action.capped,
    )
