"""Moving closed orders out of the hot tables into the archive, in bounded, resumable batches.

A batch is one transaction: it takes up to `batch_size` orders closed (delivered, cancelled,
returned) before the cutoff, oldest id first, with `FOR UPDATE SKIP LOCKED`; copies each into
`ArchivedOrder` with its parcels, items and history as one JSON document (built by PostgreSQL,
set-based); deletes the hot rows; and records one `orders.orders.archived` event naming the
orders, on which the other centers archive their own rows. A job killed at any point loses
nothing: a batch either committed whole or rolled back whole, and the next run carries on
from the oldest order still hot. Copies are `ON CONFLICT DO NOTHING`, so nothing is archived twice.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction

from apps.common import outbox
from apps.orders.events import ORDERS_ARCHIVED
from apps.orders.models import CLOSED_STATES, ArchivedOrder, Item, Order, OrderTransition, Parcel

_q = connection.ops.quote_name
_COPIED = [f.column for f in ArchivedOrder._meta.concrete_fields if f.column not in ("document", "archived_at")]
_ORDER, _PARCEL, _ITEM, _HISTORY = (m._meta.db_table for m in (Order, Parcel, Item, OrderTransition))

_PICK = f"""
SELECT id, merchant_id FROM {_ORDER}
WHERE state = ANY(%(closed)s) AND updated_at < %(cutoff)s
ORDER BY id LIMIT %(limit)s FOR UPDATE SKIP LOCKED
"""  # noqa: S608 (table names are ours; values are parameters)

_COPY = f"""
INSERT INTO {ArchivedOrder._meta.db_table} ({", ".join(map(_q, _COPIED))}, document, archived_at)
SELECT {", ".join(f"o.{_q(c)}" for c in _COPIED)},
       jsonb_build_object(
           'parcels', COALESCE((
               SELECT jsonb_agg(to_jsonb(p) || jsonb_build_object('items', COALESCE((
                          SELECT jsonb_agg(to_jsonb(i) ORDER BY i.id) FROM {_ITEM} i WHERE i.parcel_id = p.id
                      ), '[]'::jsonb)) ORDER BY p.sequence)
               FROM {_PARCEL} p WHERE p.order_id = o.id), '[]'::jsonb),
           'history', COALESCE((
               SELECT jsonb_agg(to_jsonb(t) ORDER BY t.occurred_at, t.id)
               FROM {_HISTORY} t WHERE t.order_id = o.id), '[]'::jsonb)
       ),
       now()
FROM {_ORDER} o WHERE o.id = ANY(%(ids)s)
ON CONFLICT (id) DO NOTHING
"""  # noqa: S608

_DELETE = [
    f"DELETE FROM {_ITEM} WHERE parcel_id IN (SELECT id FROM {_PARCEL} WHERE order_id = ANY(%(ids)s))",  # noqa: S608
    f"DELETE FROM {_PARCEL} WHERE order_id = ANY(%(ids)s)",  # noqa: S608
    f"DELETE FROM {_HISTORY} WHERE order_id = ANY(%(ids)s)",  # noqa: S608
    f"DELETE FROM {_ORDER} WHERE id = ANY(%(ids)s)",  # noqa: S608
]


@dataclass(frozen=True)
class ArchiveRun:
    batches: int
    orders: int


def order_archive_batch(*, closed_before: datetime, batch_size: int = 1000) -> int:
    """Archive one batch of orders closed before `closed_before`; return how many moved."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_PICK, {"closed": CLOSED_STATES, "cutoff": closed_before, "limit": batch_size})
        picked = cursor.fetchall()
        if not picked:
            return 0
        ids = [order_id for order_id, _ in picked]
        cursor.execute(_COPY, {"ids": ids})
        for statement in _DELETE:
            cursor.execute(statement, {"ids": ids})
        outbox.record(
            event_type=ORDERS_ARCHIVED,
            aggregate_type="order_batch",
            aggregate_id=ids[0],
            merchant_id=None,
            payload={"order_ids": [str(i) for i in ids], "merchant_ids": sorted({str(m) for _, m in picked})},
            actor="archiver",
        )
    return len(ids)


def orders_archive(*, closed_before: datetime, batch_size: int = 1000, max_batches: int | None = None) -> ArchiveRun:
    """Archive batch after batch until nothing closed before the cutoff is left (or `max_batches`)."""
    batches = moved = 0
    while max_batches is None or batches < max_batches:
        count = order_archive_batch(closed_before=closed_before, batch_size=batch_size)
        if not count:
            break
        batches += 1
        moved += count
    return ArchiveRun(batches=batches, orders=moved)
