"""The one checker every scenario ends with, over the database and the sandbox's own records.

- Every order the API answered 201 exists, exactly once for its reference.
- It has settled: a final state, or `exception` with the reason on its last history row.
- Downstream effects per order: the sandbox carriers hold at most one shipment per order
  (counted by the order number the booking sends as reference, so two distribution orders of one
  order booked twice count twice), and a delivered order exactly one, the one it tracks.
- No history row of any state machine took an arrow that machine does not have (from→to,
  introspected from the model's django-fsm transitions; a first row comes from "" to the
  machine's initial state).

It reads with plain SQL on its own connection (table names from the models' metadata), so the
test process's own Django database is never involved.
"""

from collections import Counter
from dataclasses import dataclass, field

import psycopg
from django.apps import apps
from django_fsm import FSMField

from apps.orders import numbers
from apps.orders.models import FINAL, Order, OrderTransition
from apps.sandbox.models import SandboxShipment

WAITING_WITH_REASON = "exception"


@dataclass(frozen=True)
class Machine:
    name: str
    history_table: str
    arrows: frozenset[tuple[str, str]]
    any_source_targets: frozenset[str]


def machines() -> list[Machine]:
    """Every model with a django-fsm `state` and a `history` table, with the arrows it allows."""
    found = []
    for model in apps.get_models():
        state = next((f for f in model._meta.fields if isinstance(f, FSMField)), None)
        history = next((r for r in model._meta.related_objects if r.related_name == "history"), None)
        if state is None or history is None:
            continue
        arrows, anywhere = {("", str(state.default))}, set()
        for t in state.get_all_transitions(model):
            target = str(t.target) if t.target is not None else None
            if t.source in ("*", "+"):
                anywhere.add(target)
            elif target is not None:
                arrows.add((str(t.source), target))
        found.append(
            Machine(model.__name__, history.related_model._meta.db_table, frozenset(arrows), frozenset(anywhere))
        )
    return found


@dataclass
class Findings:
    accepted: int = 0
    lost: list[str] = field(default_factory=list)
    duplicated: dict[str, int] = field(default_factory=dict)
    unsettled: Counter = field(default_factory=Counter)
    settled: Counter = field(default_factory=Counter)
    double_booked: dict[str, int] = field(default_factory=dict)
    delivered_without_one_shipment: list[str] = field(default_factory=list)
    forbidden: dict[str, int] = field(default_factory=dict)

    @property
    def violations(self) -> list[str]:
        found = []
        if self.lost:
            found.append(f"{len(self.lost)} of {self.accepted} orders answered 201 are missing")
        if self.duplicated:
            found.append(f"{len(self.duplicated)} references recorded more than once")
        if self.unsettled:
            found.append(f"{sum(self.unsettled.values())} orders not settled: {dict(self.unsettled)}")
        if self.double_booked:
            found.append(f"{len(self.double_booked)} orders booked more than once: {self.double_booked}")
        if self.delivered_without_one_shipment:
            found.append(f"{len(self.delivered_without_one_shipment)} delivered orders without their one shipment")
        if self.forbidden:
            found.append(f"forbidden transitions: {self.forbidden}")
        return found

    def figures(self) -> dict:
        return {
            "orders answered 201": self.accepted,
            "lost": len(self.lost),
            "recorded twice": len(self.duplicated),
            "settled": dict(self.settled),
            "not settled": dict(self.unsettled),
            "booked twice": len(self.double_booked),
            "forbidden transitions": sum(self.forbidden.values()),
        }


def unsettled_count(conn: psycopg.Connection, *, order_ids: list[int]) -> int:
    """How many of these orders are neither final nor waiting with a reason (cheap: for polling)."""
    row = conn.execute(
        f"SELECT count(*) FROM {Order._meta.db_table} WHERE id = ANY(%s) AND NOT (state = ANY(%s))",  # noqa: S608
        (order_ids, [*FINAL, WAITING_WITH_REASON]),
    ).fetchone()
    return row[0]


def progress_mark(conn: psycopg.Connection) -> tuple:
    """Changes whenever any state machine takes a transition (for telling a stall from progress)."""
    return tuple(
        conn.execute(f"SELECT max(id) FROM {machine.history_table}").fetchone()[0]  # noqa: S608
        for machine in machines()
    )


def check(conn: psycopg.Connection, *, created: dict[str, str]) -> Findings:
    """`created`: reference -> order id of every 201 the load driver got."""
    findings = Findings(accepted=len(created))
    order_ids = [int(order_id) for order_id in created.values()]
    orders = Order._meta.db_table
    rows = conn.execute(
        f"SELECT id, reference, state FROM {orders} WHERE reference = ANY(%s)",  # noqa: S608
        (list(created),),
    ).fetchall()
    by_reference = Counter(reference for _, reference, _ in rows)
    findings.duplicated = {ref: n for ref, n in by_reference.items() if n > 1}
    states = {order_id: state for order_id, _, state in rows}
    findings.lost = [order_id for order_id in created.values() if int(order_id) not in states]

    last_reason = dict(
        conn.execute(
            f"SELECT DISTINCT ON (order_id) order_id, reason FROM {OrderTransition._meta.db_table} "  # noqa: S608
            "WHERE order_id = ANY(%s) ORDER BY order_id, occurred_at DESC, id DESC",
            (order_ids,),
        ).fetchall()
    )
    for order_id, state in states.items():
        if state in FINAL or (state == WAITING_WITH_REASON and last_reason.get(order_id)):
            findings.settled[state] += 1
        else:
            findings.unsettled[state] += 1

    by_number = {numbers.encode(order_id): order_id for order_id in states}
    shipments = conn.execute(
        f"SELECT reference, tracking_number FROM {SandboxShipment._meta.db_table} WHERE reference = ANY(%s)",  # noqa: S608
        (list(by_number),),
    ).fetchall()
    per_order: dict[int, list[str]] = {}
    for reference, tracking_number in shipments:
        per_order.setdefault(by_number[reference], []).append(tracking_number)
    findings.double_booked = {str(o): len(t) for o, t in per_order.items() if len(t) > 1}
    tracked = dict(
        conn.execute(
            f"SELECT id, tracking_number FROM {orders} WHERE id = ANY(%s) AND state = 'delivered'",  # noqa: S608
            (order_ids,),
        ).fetchall()
    )
    findings.delivered_without_one_shipment = [
        str(o) for o, tracking in tracked.items() if per_order.get(o) != [tracking]
    ]

    for machine in machines():
        for from_state, to_state, count in conn.execute(
            f"SELECT from_state, to_state, count(*) FROM {machine.history_table} GROUP BY 1, 2"  # noqa: S608
        ).fetchall():
            if (from_state, to_state) not in machine.arrows and to_state not in machine.any_source_targets:
                findings.forbidden[f"{machine.name} {from_state or '∅'}→{to_state}"] = count
    return findings
