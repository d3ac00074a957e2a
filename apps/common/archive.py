"""Archive storage shared by the centers: an aggregate's rows become one read-only JSON document.

When the order center archives orders (`orders.orders.archived`), each center moves its own
rows for those orders here with `archive_aggregates`: set-based SQL builds a document per
aggregate root (the root's columns plus its child rows as named lists), inserts it into
`ArchivedRecord` (once: `ON CONFLICT DO NOTHING`) and deletes the hot rows, all in the caller's
transaction. Reads fall back to `archived_documents` and rebuild read-only model instances with
`instance_from_row`.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection, models

from apps.common.models import ArchivedRecord

_q = connection.ops.quote_name


@dataclass(frozen=True)
class Children:
    """Rows hanging off the root: `model` rows whose `column` holds the root's id, kept under `name`."""

    name: str
    model: type[models.Model]
    column: str


def archive_aggregates(
    *, kind: str, root: type[models.Model], children: Sequence[Children], order_ids: Sequence[int]
) -> int:
    """Move every `root` row of these orders, with its children, into the archive; return how many."""
    if not order_ids:
        return 0
    root_table = _q(root._meta.db_table)
    lists = ", ".join(
        f"'{child.name}', COALESCE((SELECT jsonb_agg(to_jsonb(c) ORDER BY c.id)"  # noqa: S608
        f" FROM {_q(child.model._meta.db_table)} c WHERE c.{_q(child.column)} = r.id), '[]'::jsonb)"
        for child in children
    )
    document = f"to_jsonb(r) || jsonb_build_object({lists})" if children else "to_jsonb(r)"
    with connection.cursor() as cursor:
        # Table and column names come from our models; every value is a parameter.
        cursor.execute(
            f"INSERT INTO {_q(ArchivedRecord._meta.db_table)} (kind, key, order_id, merchant_id, document, archived_at)"  # noqa: S608
            f" SELECT %(kind)s, r.id::text, r.order_id, r.merchant_id, {document}, now()"
            f" FROM {root_table} r WHERE r.order_id = ANY(%(ids)s)"
            " ON CONFLICT (kind, key) DO NOTHING",
            {"kind": kind, "ids": list(order_ids)},
        )
        for child in children:
            cursor.execute(
                f"DELETE FROM {_q(child.model._meta.db_table)} WHERE {_q(child.column)} IN"  # noqa: S608
                f" (SELECT id FROM {root_table} WHERE order_id = ANY(%(ids)s))",
                {"ids": list(order_ids)},
            )
        cursor.execute(f"DELETE FROM {root_table} WHERE order_id = ANY(%(ids)s)", {"ids": list(order_ids)})  # noqa: S608
        return cursor.rowcount


def archived_documents(*, kind: str, order_id: int) -> list[dict]:
    return list(
        ArchivedRecord.objects.filter(order_id=order_id, kind=kind).order_by("id").values_list("document", flat=True)
    )


def instance_from_row(model: type[models.Model], values: dict) -> models.Model:
    """A read-only instance of `model` from a row as `to_jsonb` wrote it (column name → JSON value)."""
    fields = [field for field in model._meta.concrete_fields if field.column in values]
    instance = model(**{field.attname: field.to_python(values[field.column]) for field in fields})
    instance._state.adding = False
    return instance
