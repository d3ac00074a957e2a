"""A line haul's departures: the container a parcel reaching the hub at a given moment goes in."""

import datetime
from datetime import UTC

import pytest

from apps.resources.types import LineHaulInfo


def _haul(**overrides) -> LineHaulInfo:
    values = {
        "code": "sha-fra",
        "hub_address": {},
        "destination_hub": "FRA",
        "departure_weekdays": (1, 4),  # Tuesdays and Fridays
        "cutoff_time": datetime.time(18, 0),
        "timezone": "Asia/Shanghai",
        "transit_days": 18,
        "last_mile_carrier_code": "euro-post",
        "last_mile_service_code": "standard",
    }
    return LineHaulInfo(**(values | overrides))


@pytest.mark.parametrize(
    ("arrives_utc", "departs_on"),
    [
        (datetime.datetime(2026, 3, 6, 9, 59, tzinfo=UTC), datetime.date(2026, 3, 6)),  # Friday 17:59 Shanghai
        (datetime.datetime(2026, 3, 6, 10, 0, tzinfo=UTC), datetime.date(2026, 3, 10)),  # at the cut-off: next Tuesday
        (datetime.datetime(2026, 3, 6, 17, 0, tzinfo=UTC), datetime.date(2026, 3, 10)),  # Saturday 01:00 Shanghai
        (datetime.datetime(2026, 3, 3, 20, 0, tzinfo=UTC), datetime.date(2026, 3, 6)),  # Wednesday 04:00 Shanghai
    ],
)
def test_a_parcel_goes_in_the_first_container_whose_cut_off_has_not_passed_where_the_hub_is(arrives_utc, departs_on):
    assert _haul().next_departure(arrives_utc) == departs_on


def test_the_cut_off_follows_summer_time_where_the_hub_is():
    haul = _haul(timezone="Europe/Berlin", departure_weekdays=(6,))  # Sundays
    # 29 March 2026: Berlin moves to summer time at 02:00; the cut-off is 18:00 local, 16:00 UTC.
    assert haul.closes_at(datetime.date(2026, 3, 29)).astimezone(UTC).hour == 16
    assert haul.closes_at(datetime.date(2026, 3, 22)).astimezone(UTC).hour == 17
    assert haul.next_departure(datetime.datetime(2026, 3, 29, 16, 30, tzinfo=UTC)) == datetime.date(2026, 4, 5)


def test_a_line_haul_without_departure_days_leaves_every_day():
    assert _haul(departure_weekdays=()).next_departure(
        datetime.datetime(2026, 3, 7, 11, 0, tzinfo=UTC)  # Saturday 19:00 Shanghai
    ) == datetime.date(2026, 3, 8)
