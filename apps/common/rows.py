"""Inserting new model rows in one statement per model, without compiling a query each time.

`Model.objects.create()` builds and compiles an INSERT for every row it writes, which is most of
the CPU an order's intake costs (see docs/performance.md). The SQL of an insert depends only on
the model and the number of rows, so it is built once and kept; values go through the fields'
own `pre_save` and `get_db_prep_save`, as the ORM does, so defaults, `auto_now` timestamps and
JSON adaptation behave as with `create()`. Model `save()` methods and signals are not run: use
this only for models that have neither.

`json_insert_sql` and `json_rows` are for a caller that writes the rows of several models in one
statement of its own (data-modifying CTEs: one round trip, and atomic by itself). The rows of a
model travel as one JSON parameter, which the table's own row type reads back
(`jsonb_populate_recordset`): a statement of a few parameters is one psycopg parses once and
keeps, where one parameter per value (70 for an order) is parsed again on every execution.
"""

import functools
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from psycopg.types.json import Jsonb


@functools.cache
def _columns(model: type[models.Model]) -> tuple[list[models.Field], bool]:
    """The fields an insert writes, and whether the database assigns the primary key."""
    pk = model._meta.pk
    database_assigns_pk = isinstance(pk, models.AutoField | models.BigAutoField | models.SmallAutoField)
    fields = [f for f in model._meta.concrete_fields if not (database_assigns_pk and f is pk)]
    return fields, database_assigns_pk


def _db_values(obj: models.Model, fields: list[models.Field]) -> list:
    # The connection itself, not the `connection` proxy, which looks it up again (a thread-local
    # read) each time a field asks it something: a few dozen times per order.
    db = connections[DEFAULT_DB_ALIAS]
    return [field.get_db_prep_save(field.pre_save(obj, True), db) for field in fields]


@functools.cache
def _insert_sql(model: type[models.Model], count: int) -> str:
    fields, database_assigns_pk = _columns(model)
    quote = connection.ops.quote_name
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    # Table and column names come from the model; every value is a parameter.
    columns = ", ".join(quote(f.column) for f in fields)
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES {', '.join([row] * count)}"  # noqa: S608
    if database_assigns_pk:
        sql += f" RETURNING {quote(model._meta.pk.column)}"
    return sql


def insert(objs: Sequence[models.Model]) -> None:
    """Insert new instances of one model in one statement; database-assigned keys are set on them."""
    if not objs:
        return
    model = type(objs[0])
    fields, database_assigns_pk = _columns(model)
    params = [value for obj in objs for value in _db_values(obj, fields)]
    with connection.cursor() as cursor:
        cursor.execute(_insert_sql(model, len(objs)), params)
        keys = [row[0] for row in cursor.fetchall()] if database_assigns_pk else None
    for index, obj in enumerate(objs):
        if keys is not None:
            obj.pk = keys[index]
        mark_saved(obj)


def mark_saved(obj: models.Model) -> None:
    """`obj` is in the database now (for a caller that wrote it through `json_insert_sql`)."""
    obj._state.adding = False
    obj._state.db = connection.alias


def json_insert_sql(
    model: type[models.Model], source: str, *, expressions: Mapping[str, str] | None = None, returning: str = ""
) -> str:
    """The INSERT of the rows of `model` that `source`, an SQL expression (usually `%s`), gives as
    the JSON array `json_rows` writes. The database assigns the key as in `insert`.

    `expressions` gives a column SQL of its own instead of the row's value, `r.<column>`; such as
    a subquery finding the key of a row written earlier in the same statement.
    """
    fields, _ = _columns(model)
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    expressions = expressions or {}
    columns = ", ".join(quote(f.column) for f in fields)
    selected = ", ".join(expressions.get(f.column, f"r.{quote(f.column)}") for f in fields)
    # Table and column names come from the model and `expressions` from the caller's code; the
    # values are in the one parameter.
    sql = f"INSERT INTO {table} ({columns}) SELECT {selected} FROM jsonb_populate_recordset(NULL::{table}, {source}) r"  # noqa: S608
    return f"{sql} RETURNING {returning}" if returning else sql


def _as_json(value: Any) -> Any:
    """A database value json.dumps cannot write, as PostgreSQL's input function for it reads it."""
    if isinstance(value, Jsonb):  # a JSONField's value, wrapped with its encoder
        return value.obj if value.dumps in (None, json.dumps) else json.loads(value.dumps(value.obj))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    raise TypeError(f"no JSON form for a {type(value).__name__} column value")


# Fields that hand the database a value of their own Python type unchanged: for them `pre_save`
# reads the attribute and `get_db_prep_save` only checks its type (an integer field wraps it in
# psycopg's Int4/Int8, which JSON writes as the same number). `json_rows` reads such a value
# straight from the instance, which saves most of the ORM's per-value calls on a JSON row; any
# other value, or any other field, goes the ORM's way.
_AS_IS: tuple[tuple[type[models.Field], type], ...] = (
    (models.CharField, str),
    (models.TextField, str),
    (models.BooleanField, bool),
    (models.IntegerField, int),
    (models.ForeignKey, int),
)


@functools.cache
def _as_is_types(model: type[models.Model]) -> list[tuple[str, type | None]]:
    """Per insert field, its attribute and the value type it passes on unchanged (None: none)."""
    fields, _ = _columns(model)
    out = []
    for field in fields:
        kind = next((kind for cls, kind in _AS_IS if isinstance(field, cls)), None)
        if type(field).pre_save is not models.Field.pre_save or type(field).get_db_prep_save not in (
            models.Field.get_db_prep_save,
            models.ForeignKey.get_db_prep_save,
        ):
            kind = None
        if isinstance(field, models.ForeignKey) and not isinstance(field.target_field, models.IntegerField):
            kind = None
        out.append((field.attname, kind))
    return out


def _json_values(obj: models.Model, fields: list[models.Field], as_is: list[tuple[str, type | None]]) -> list:
    db = connections[DEFAULT_DB_ALIAS]
    values = []
    for field, (attname, kind) in zip(fields, as_is, strict=True):
        if kind is not None:
            value = getattr(obj, attname)
            if value is None or type(value) is kind:
                values.append(value)
                continue
        values.append(field.get_db_prep_save(field.pre_save(obj, True), db))
    return values


def json_rows(
    objs: Sequence[models.Model], *, replacing: Mapping[str, Callable[[models.Model], Any]] | None = None
) -> str:
    """The rows of `objs` for `json_insert_sql`, with the values the ORM would send; `replacing`
    gives a column's value directly (for a column with an expression of its own)."""
    if not objs:
        return "[]"
    model = type(objs[0])
    fields, _ = _columns(model)
    as_is = _as_is_types(model)
    columns = [f.column for f in fields]
    rows = [dict(zip(columns, _json_values(obj, fields, as_is), strict=True)) for obj in objs]
    for column, value_of in (replacing or {}).items():
        for row, obj in zip(rows, objs, strict=True):
            row[column] = value_of(obj)
    return json.dumps(rows, default=_as_json, ensure_ascii=False, separators=(",", ":"))
