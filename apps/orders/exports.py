"""CSV export of a merchant's orders, produced row by row.

The rows come through a server-side cursor in fixed-size chunks and leave as soon as they are
written, so an export of any size runs in the same small amount of memory.
"""

import csv
from collections.abc import Iterator

from django.db.models import QuerySet

from apps.common.text import spreadsheet_cell
from apps.orders import numbers

COLUMNS = [
    ("id", "id"),
    ("number", None),
    ("reference", "reference"),
    ("state", "state"),
    ("created_at", "created_at"),
    ("service_level", "service_level"),
    ("carrier", "carrier_code"),
    ("service", "service_code"),
    ("tracking_number", "tracking_number"),
    ("recipient_name", "recipient_name"),
    ("recipient_city", "recipient_city"),
    ("recipient_postal_code", "recipient_postal_code"),
    ("recipient_country", "recipient_country"),
    ("recipient_email", "recipient_email"),
    ("recipient_phone", "recipient_phone"),
    ("quoted_price", "quoted_price"),
    ("quoted_currency", "quoted_currency"),
]
_FIELDS = [field for _, field in COLUMNS if field]
# Our own numbers, written as numbers; every other cell may hold text a user typed.
_NUMERIC = frozenset({"id", "quoted_price"})


class _Line:
    """A file-like sink that hands back what csv.writer wrote, one line at a time."""

    def write(self, value: str) -> str:
        return value


def _cell(field: str, value):
    if field in _NUMERIC:
        return "" if value is None else value
    return spreadsheet_cell(value)


def order_csv_lines(queryset: QuerySet, *, chunk_size: int = 2000, byte_order_mark: bool = False) -> Iterator[str]:
    """The CSV's lines. With `byte_order_mark`, it starts with U+FEFF, which Excel needs to read
    the file as UTF-8 (without it, Chinese names and accents come out garbled)."""
    writer = csv.writer(_Line())
    if byte_order_mark:
        yield "\ufeff"
    yield writer.writerow([name for name, _ in COLUMNS])
    for row in queryset.values_list(*_FIELDS).iterator(chunk_size=chunk_size):
        values = dict(zip(_FIELDS, row, strict=True))
        yield writer.writerow(
            [numbers.encode(values["id"]) if field is None else _cell(field, values[field]) for _, field in COLUMNS]
        )
