"""Reads of the order center."""

from datetime import timedelta

from django.db import connection
from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.functions import TruncMinute
from django.utils import timezone

from apps.common.stuck import StuckGroup, stuck_groups
from apps.orders import numbers
from apps.orders.exceptions import OrderNotFound
from apps.orders.models import CLOSED_STATES, FINAL, ArchivedOrder, Order, OrderState, OrderTransition, Parcel


def order_list(*, merchant_id: int, archived: bool = False) -> QuerySet[Order] | QuerySet[ArchivedOrder]:
    """The merchant's orders, newest first; with `archived`, those moved to the archive instead
    (same columns, so the same filters and paging apply)."""
    model = ArchivedOrder if archived else Order
    return model.objects.filter(merchant_id=merchant_id).order_by("-id")


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
