"""Reads that PostgreSQL plans for their values each time are never kept as prepared statements,
so no generic plan can replace the one their values need; other reads are prepared as before."""

import pytest
from django.db import connection

from apps.common.planning import planned_for_values

pytestmark = pytest.mark.django_db

MARK = "planned-for-values-test"


def _run_ten_times(marker: str) -> None:
    with connection.cursor() as cursor:
        for value in range(10):
            cursor.execute(f"SELECT %s::int + 1 AS {marker.replace('-', '_')}", [value])
            assert cursor.fetchone() == (value + 1,)


def _prepared(marker: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", [f"%{marker.replace('-', '_')}%"]
        )
        return cursor.fetchone()[0]


def test_a_read_run_again_and_again_is_prepared_outside_and_never_inside():
    _run_ten_times(f"{MARK}-outside")
    with planned_for_values():
        _run_ten_times(f"{MARK}-inside")

    assert _prepared(f"{MARK}-outside") == 1
    assert _prepared(f"{MARK}-inside") == 0


def test_statements_after_the_block_are_prepared_again():
    with planned_for_values():
        _run_ten_times(f"{MARK}-before")
    _run_ten_times(f"{MARK}-after")

    assert _prepared(f"{MARK}-after") == 1
