"""Inserting new model rows in one statement per model, without compiling a query each time.

`Model.objects.create()` builds and compiles an INSERT for every row it writes, which is most of
the CPU an order's intake costs (see docs/performance.md). The SQL of an insert depends only on
the model and the number of rows, so it is built once and kept; values go through the fields'
own `pre_save` and `get_db_prep_save`, as the ORM does, so defaults, `auto_now` timestamps and
JSON adaptation behave as with `create()`. Model `save()` methods and signals are not run: use
this only for models that have neither.
"""

import functools
from collections.abc import Sequence

from django.db import connection, models


@functools.cache
def _columns(model: type[models.Model]) -> tuple[list[models.Field], bool]:
    """The fields an insert writes, and whether the database assigns the primary key."""
    pk = model._meta.pk
    database_assigns_pk = isinstance(pk, models.AutoField | models.BigAutoField | models.SmallAutoField)
    fields = [f for f in model._meta.concrete_fields if not (database_assigns_pk and f is pk)]
    return fields, database_assigns_pk


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
    params = [field.get_db_prep_save(field.pre_save(obj, True), connection) for obj in objs for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(_insert_sql(model, len(objs)), params)
        keys = [row[0] for row in cursor.fetchall()] if database_assigns_pk else None
    for index, obj in enumerate(objs):
        if keys is not None:
            obj.pk = keys[index]
        obj._state.adding = False
        obj._state.db = connection.alias
