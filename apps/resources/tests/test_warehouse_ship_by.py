"""A warehouse's cut-off, in its own time zone, gives each order its ship-by day; days it does not
ship (weekends by its working days, holidays) are skipped."""

import datetime
from datetime import UTC

import pytest

from apps.resources.selectors import warehouse_ship_by
from apps.resources.services import warehouse_upsert

pytestmark = pytest.mark.django_db


@pytest.fixture
def rotterdam(db):
    warehouse_upsert(
        code="rtm",
        name="Rotterdam",
        country="NL",
        city="Rotterdam",
        ships_to=["DE"],
        endpoint_url="http://127.0.0.1:9/wms/rtm/",
        handling_fee=0,
        currency="USD",
        carrier_codes=[],
        time_zone="Europe/Amsterdam",
        cutoff_time=datetime.time(14, 0),
    )
    return "rtm"


def _at(*args):
    return datetime.datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "ship_by"),
    [
        (_at(2026, 6, 3, 11, 59), datetime.date(2026, 6, 3)),  # Wednesday 13:59 in Rotterdam (summer time)
        (_at(2026, 6, 3, 12, 0), datetime.date(2026, 6, 4)),  # 14:00 there: the cut-off has passed
        (_at(2026, 12, 2, 12, 30), datetime.date(2026, 12, 2)),  # winter: 13:30 there
        (_at(2026, 6, 5, 13, 0), datetime.date(2026, 6, 8)),  # Friday after the cut-off: Monday
        (_at(2026, 6, 6, 9, 0), datetime.date(2026, 6, 8)),  # Saturday: Monday
    ],
)
def test_the_ship_by_day_follows_the_cut_off_where_the_warehouse_is(rotterdam, now, ship_by):
    assert warehouse_ship_by(code=rotterdam, now=now) == ship_by


def test_holidays_and_days_it_does_not_work_are_skipped(rotterdam):
    from apps.resources.models import Warehouse

    Warehouse.objects.filter(code=rotterdam).update(
        holidays=[datetime.date(2026, 12, 25), datetime.date(2026, 12, 28)], working_weekdays=[0, 1, 2, 3, 4, 5]
    )

    assert warehouse_ship_by(code=rotterdam, now=_at(2026, 12, 24, 14, 0)) == datetime.date(2026, 12, 26)
    assert warehouse_ship_by(code=rotterdam, now=_at(2026, 12, 26, 14, 0)) == datetime.date(2026, 12, 29)
