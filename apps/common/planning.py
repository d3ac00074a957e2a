"""Reads planned for the values they are given.

Statements are prepared on the server once a connection has run them five times
(`DB_PREPARE_THRESHOLD`, docs/performance.md), and from then on PostgreSQL may keep one generic
plan for every value. For a read whose best plan depends on its values, that plan is slow for
some of them: a merchant's orders searched by a name that one order in eight carries are best
read newest first, stopping at the page's fiftieth, and a name that one order in 100,000
carries is best found in the name index; a generic plan picks one way for both (the search by
name went from 10 ms to 250-900 ms on the sixth run, bench/portal_pages.py).
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection


@contextmanager
def planned_for_values() -> Iterator[None]:
    """Statements run inside are not prepared: PostgreSQL plans each for its values. Planning
    costs a fraction of a millisecond, so this is for reads people wait on, not for intake."""
    connection.ensure_connection()
    driver_connection = connection.connection
    kept = driver_connection.prepare_threshold
    driver_connection.prepare_threshold = None
    try:
        yield
    finally:
        driver_connection.prepare_threshold = kept
