"""Reads of the order center."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import BooleanField, Count, Func, IntegerField, Prefetch, Q, QuerySet, Sum
from django.db.models.expressions import RawSQL
from django.db.models.functions import TruncDate, TruncMinute
from django.utils import timezone

from apps.common.planning import planned_for_values
from apps.common.stuck import StuckGroup, stuck_groups
from apps.orders import numbers
from apps.orders.exceptions import OrderNotFound
from apps.orders.models import CLOSED_STATES, FINAL, ArchivedOrder, Order, OrderState, OrderTransition, Parcel


def order_list(*, merchant_id: int, archived: bool = False) -> QuerySet[Order] | QuerySet[ArchivedOrder]:
    """The merchant's orders, newest first; with `archived`, those moved to the archive instead
    (same columns, so the same filters and paging apply)."""
    model = ArchivedOrder if archived else Order
    return model.objects.filter(merchant_id=merchant_id).order_by("-id")


def order_page(orders: QuerySet, *, before: int | None, size: int) -> list:
    """A page of `orders` (ordered newest first), those older than the order `before` when it is
    given (keyset paging: stable while new orders arrive), with one more row when another page
    follows. Planned for the filters' values each time: how many orders a search or a filter
    matches decides the fast way to read them (apps.common.planning)."""
    if before is not None:
        orders = orders.filter(id__lt=before)
    with planned_for_values():
        return list(orders[: size + 1])


def _with_contents(queryset: QuerySet[Order]) -> QuerySet[Order]:
    return queryset.prefetch_related(Prefetch("parcels", queryset=Parcel.objects.prefetch_related("items")))


def parse_order_id(value: str | int) -> int | None:
    """An order id from either its numeric id or its public order number."""
    text = str(value).strip()
    parsed = int(text) if text.isdigit() else numbers.decode(text)
    return parsed if parsed is not None and 0 < parsed < 2**63 else None


def order_get(*, merchant_id: int, order_id: str | int) -> Order | ArchivedOrder:
    """One of the merchant's orders with its parcels and items, live or archived (read-only);
    another merchant's is not found."""
    parsed = parse_order_id(order_id)
    order = _with_contents(Order.objects.filter(merchant_id=merchant_id, pk=parsed)).first() if parsed else None
    if order is None and parsed:
        order = ArchivedOrder.objects.filter(merchant_id=merchant_id, pk=parsed).first()
    if order is None:
        raise OrderNotFound(f"Order {order_id} does not exist.")
    return order


def order_ids_by_reference(*, merchant_id: int, references: list[str]) -> dict[str, int]:
    """The merchant's live orders with these references: reference -> order id."""
    found: dict[str, int] = {}
    for start in range(0, len(references), 1000):
        batch = [r for r in references[start : start + 1000] if r]
        found.update(Order.objects.filter(merchant_id=merchant_id, reference__in=batch).values_list("reference", "id"))
    return found


def order_get_for_fulfillment(*, order_id: int) -> Order:
    """An order by id for the centers that fulfil it, whichever merchant it belongs to."""
    order = _with_contents(Order.objects.filter(pk=order_id)).first()
    if order is None:
        raise OrderNotFound(f"Order {order_id} does not exist.")
    return order


def orders_get_for_fulfillment(*, order_ids: list[int]) -> list[Order]:
    """`order_get_for_fulfillment` for many orders at once (three queries): missing ids are left out."""
    return list(_with_contents(Order.objects.filter(pk__in=order_ids)))


def order_history(*, order_id: int) -> list[OrderTransition]:
    """Every transition the order took, oldest first, from the archive once it is archived."""
    steps = list(OrderTransition.objects.filter(order_id=order_id).order_by("occurred_at", "id"))
    if not steps:  # every live order has at least its creation
        archived = ArchivedOrder.objects.filter(pk=order_id).only("document").first()
        steps = archived.history() if archived else []
    return steps


def order_find_for_buyer(
    *, tracking_number: str = "", number: str = "", postal_code: str = ""
) -> Order | ArchivedOrder | None:
    """The order a buyer asks about, live or archived: by tracking number, or by order number
    plus destination postcode (the postcode stops anyone from walking through order numbers)."""
    if tracking_number.strip():
        wanted_number = tracking_number.strip().upper()
        return (
            Order.objects.filter(tracking_number=wanted_number).first()
            or ArchivedOrder.objects.filter(tracking_number=wanted_number).first()
        )
    order_id = parse_order_id(number) if number.strip() and not number.strip().isdigit() else None
    if order_id is None or not postal_code.strip():
        return None
    wanted = postal_code.replace(" ", "").upper()
    order = Order.objects.filter(pk=order_id).first() or ArchivedOrder.objects.filter(pk=order_id).first()
    if order is None or order.recipient_postal_code.replace(" ", "").upper() != wanted:
        return None
    return order


def orders_stuck(*, older_than: timedelta, sample: int = 10) -> list[StuckGroup]:
    """Orders that need a person or never reached a lane: flagged `exception`, or still `accepted`
    when made more than `older_than` ago (the outbox relay or the scheduling center is not taking
    them). Orders on a lane or with a carrier are reported by those centers. Rides the state
    index for the counts and the primary key (ids are time-ordered) for the oldest."""
    return stuck_groups(
        center="orders",
        kind="order",
        queryset=Order.objects.all(),
        reasons=[
            ("flagged for a person (exception)", Q(state="exception")),
            ("accepted, never put on a lane", Q(state="accepted", id__lt=_first_id_at(timezone.now() - older_than))),
        ],
        since_field="updated_at",
        oldest_first_by="id",
        detail=lambda order: f"{order.number} {order.state}, {order.carrier_code or 'no carrier'}",
        sample=sample,
    )


# Ids are time-ordered (apps.orders.filters): "since" is an id range read on the primary key, so
# these cost what the window holds, never the whole table.


def _first_id_at(moment):
    from apps.orders.filters import first_id_at  # filters builds on order_list above: import late

    return first_id_at(moment)


def orders_accepted_per_minute(*, since) -> list[tuple]:
    """(minute, orders accepted in it) since `since`, oldest first; minutes with none are left out."""
    rows = (
        Order.objects.filter(id__gte=_first_id_at(since), created_at__gte=since)
        .annotate(minute=TruncMinute("created_at"))
        .values("minute")
        .annotate(n=Count("id"))
        .order_by("minute")
    )
    return [(row["minute"], row["n"]) for row in rows]


def orders_by_carrier_recent(*, since) -> list[tuple[str, int]]:
    """Orders made since `since` by carrier, most first."""
    rows = (
        Order.objects.filter(id__gte=_first_id_at(since))
        .values_list("carrier_code")
        .annotate(n=Count("*"))
        .order_by("-n", "carrier_code")
    )
    return [(carrier_code or "—", n) for carrier_code, n in rows]


def order_counts_open() -> dict[str, int]:
    """How many live orders are in each open (not closed) state, exactly: one grouped index-only
    scan of the state index over the open orders only, which are few beside the closed ones."""
    open_states = [state.value for state in OrderState if state not in FINAL]
    counts = dict.fromkeys(open_states, 0)
    # COUNT(*), not COUNT(id): the state index alone answers it (an index-only scan); naming a
    # column sends every row to the heap, 40 times slower on a million orders (docs/operations.md).
    rows = Order.objects.filter(state__in=open_states).values_list("state").annotate(n=Count("*")).order_by()
    counts.update(dict(rows))
    return counts


def order_counts_closed_estimate() -> dict[str, int]:
    """About how many live orders are in each closed state, from PostgreSQL's statistics (the
    table's row estimate times each state's frequency, as of the last ANALYZE): counting them
    would read most of the table on every scrape. 0 for a state the statistics do not list."""
    table = Order._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.reltuples, s.most_common_vals::text::text[], s.most_common_freqs"
            " FROM pg_class c LEFT JOIN pg_stats s"
            "   ON s.schemaname = current_schema() AND s.tablename = c.relname AND s.attname = 'state'"
            " WHERE c.oid = %s::regclass",
            [table],
        )
        row = cursor.fetchone()
    estimates = dict.fromkeys(CLOSED_STATES, 0)
    if row is None or row[1] is None or row[0] <= 0:
        return estimates
    reltuples, values, frequencies = row
    for value, frequency in zip(values, frequencies, strict=True):
        if value in estimates:
            estimates[value] = round(reltuples * frequency)
    return estimates


# The merchant's dashboard (the portal's home). Every read is bounded: the week is an id range on
# the (merchant, -id) index, the orders needing action ride the (merchant, state, -id) index over
# a few open states and stop at ACTION_CAP rows. None counts the merchant's whole order table.

ACTION_CAP = 1000
# Orders a merchant should look at, by why (in the order the dashboard lists them).
ACTION_STATES = {
    OrderState.EXCEPTION: "exception",
    OrderState.CUSTOMS_HOLD: "customs_hold",
    OrderState.DELIVERY_FAILED: "delivery_failed",
}
# Still waiting for a carrier booking this long after it was made: stuck.
WAITING_STATES = [OrderState.ACCEPTED, OrderState.SCHEDULED]


@dataclass(frozen=True)
class OrderGroup:
    state: str
    carrier_code: str
    currency: str
    orders: int
    total: Decimal  # of the quoted prices


@dataclass(frozen=True)
class DeliveryDays:
    """Orders of one service delivered `days` calendar days after they were accepted."""

    carrier_code: str
    service_code: str
    days: int
    orders: int


@dataclass(frozen=True)
class ActionOrder:
    id: int
    state: str
    reference: str
    recipient_name: str
    recipient_country: str
    carrier_code: str
    created_at: datetime
    number: str


@dataclass(frozen=True)
class OrdersNeedingAction:
    orders: list[ActionOrder]  # the newest first, at most `limit`
    counts: dict[str, int]  # reason -> orders, each at most ACTION_CAP
    capped: bool  # True when there are more than ACTION_CAP in all


def merchant_orders_made_since(*, merchant_id: int, since: datetime) -> list[OrderGroup]:
    """The merchant's orders made since `since`, counted and their quotes summed by state, carrier
    and currency: one grouped read of the id range (the dashboard's states and spend)."""
    rows = (
        Order.objects.filter(merchant_id=merchant_id, id__gte=_first_id_at(since), created_at__gte=since)
        .values_list("state", "carrier_code", "quoted_currency")
        .annotate(n=Count("*"), total=Sum("quoted_price"))
        .order_by()
    )
    return [
        OrderGroup(state=state, carrier_code=carrier, currency=currency, orders=n, total=total or Decimal(0))
        for state, carrier, currency, n, total in rows
    ]


# The state as a literal in the SQL, not a parameter: a prepared statement's generic plan can use
# the partial index order_merchant_delivered only if it sees its predicate (with `state = $n` it
# fell back to scanning every closed order: 0.8 s instead of 10 ms on 1,000,000 orders).
_IS_DELIVERED = RawSQL(f"{Order._meta.db_table}.state = '{OrderState.DELIVERED.value}'", (), BooleanField())  # noqa: S611


def merchant_deliveries(*, merchant_id: int, since: datetime) -> list[DeliveryDays]:
    """The merchant's orders delivered since `since`, by service and days from acceptance to
    delivery. A delivered order changes no more, so its last update is its delivery; the partial
    index order_merchant_delivered holds exactly these rows."""
    # date - date is a whole number of days in PostgreSQL
    days = Func(
        TruncDate("updated_at"),
        TruncDate("created_at"),
        template="(%(expressions)s)",
        arg_joiner=" - ",
        output_field=IntegerField(),
    )
    rows = (
        Order.objects.filter(_IS_DELIVERED, merchant_id=merchant_id, updated_at__gte=since)
        .annotate(days=days)
        .values_list("carrier_code", "service_code", "days")
        .annotate(n=Count("*"))
        .order_by()
    )
    return [DeliveryDays(carrier, service, d, n) for carrier, service, d, n in rows]


def merchant_orders_needing_action(
    *, merchant_id: int, waiting_since: datetime, limit: int = 20
) -> OrdersNeedingAction:
    """The merchant's orders that need a look, newest first: flagged for a person, held in
    customs, a delivery attempt failed, or still waiting for a booking since before
    `waiting_since`. One read of at most ACTION_CAP + 1 short rows."""
    wanted = Q(state__in=list(ACTION_STATES)) | Q(state__in=WAITING_STATES, created_at__lt=waiting_since)
    columns = ("id", "state", "reference", "recipient_name", "recipient_country", "carrier_code", "created_at")
    rows = list(
        Order.objects.filter(wanted, merchant_id=merchant_id).order_by("-id").values_list(*columns)[: ACTION_CAP + 1]
    )
    capped = len(rows) > ACTION_CAP
    rows = rows[:ACTION_CAP]
    counts = dict.fromkeys([*ACTION_STATES.values(), "waiting"], 0)
    for row in rows:
        counts[ACTION_STATES.get(row[1], "waiting")] += 1
    orders = [ActionOrder(*row, number=numbers.encode(row[0])) for row in rows[:limit]]
    return OrdersNeedingAction(orders=orders, counts=counts, capped=capped)
