"""Daily capacity counts per day where the carrier or warehouse works: intake counts an order on
the day its acceptance falls on there, and a decision reads the count of the day its own `now`
falls on there."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from apps.common import outbox
from apps.resources.handlers import count_accepted_order
from apps.resources.selectors import route_options
from apps.resources.services import service_usage_count, warehouse_upsert, warehouse_usage_count
from apps.resources.tests.factories import CarrierFactory, CarrierServiceFactory, CoverageFactory
from apps.resources.types import ShipmentProfile, WarehouseStock

pytestmark = pytest.mark.clock

BERLIN = ShipmentProfile(
    origin_country="CN",
    destination_country="DE",
    destination_postcode="10115",
    parcel_weights_g=(1200,),
    longest_side_mm=300,
    service_level="standard",
    skus=(("TS-1", 1),),
)
# Shanghai is UTC+8: 16:00 UTC is midnight there.
BEFORE_SHANGHAI_MIDNIGHT = datetime(2026, 11, 25, 15, 30, tzinfo=UTC)
AFTER_SHANGHAI_MIDNIGHT = datetime(2026, 11, 25, 16, 30, tzinfo=UTC)


@pytest.fixture
def shanghai_service(rates):
    service = CarrierServiceFactory(carrier__code="sh-post", carrier__timezone="Asia/Shanghai", daily_capacity=1)
    CoverageFactory(service=service)
    return service


def _reasons(result) -> list[str]:
    return [e.reason for e in result.exclusions]


def test_an_order_accepted_after_midnight_at_the_carrier_fills_the_carriers_new_day(shanghai_service):
    service_usage_count(carrier_code="sh-post", service_code=shanghai_service.code, at=AFTER_SHANGHAI_MIDNIGHT)

    earlier = route_options(profile=BERLIN, now=BEFORE_SHANGHAI_MIDNIGHT)
    later = route_options(profile=BERLIN, now=AFTER_SHANGHAI_MIDNIGHT)

    assert [o.carrier_code for o in earlier.options] == ["sh-post"]
    assert len(later.options) == 0
    assert _reasons(later) == ["at daily capacity (1/1 today)"]


def test_the_carriers_day_ends_at_its_own_midnight_not_at_utc_midnight(shanghai_service):
    service_usage_count(carrier_code="sh-post", service_code=shanghai_service.code, at=BEFORE_SHANGHAI_MIDNIGHT)

    assert _reasons(route_options(profile=BERLIN, now=BEFORE_SHANGHAI_MIDNIGHT)) == ["at daily capacity (1/1 today)"]
    # Still 25 November in UTC, but 26 November in Shanghai: a fresh day.
    assert [o.carrier_code for o in route_options(profile=BERLIN, now=AFTER_SHANGHAI_MIDNIGHT).options] == ["sh-post"]


def test_a_decision_without_a_time_reads_the_day_of_the_clock(shanghai_service):
    with time_machine.travel(AFTER_SHANGHAI_MIDNIGHT, tick=False):
        service_usage_count(carrier_code="sh-post", service_code=shanghai_service.code, at=AFTER_SHANGHAI_MIDNIGHT)

        assert _reasons(route_options(profile=BERLIN)) == ["at daily capacity (1/1 today)"]


def test_the_accepted_order_event_counts_on_the_carriers_day(shanghai_service):
    # What intake's event reaches in the resource center, with the event's own time.
    count_accepted_order(
        outbox.Event(
            id=1,
            event_type="orders.order.accepted",
            aggregate_type="order",
            aggregate_id="1",
            merchant_id=1,
            payload={"order_id": "1", "carrier_code": "sh-post", "service_code": shanghai_service.code},
            actor="system",
            created_at=AFTER_SHANGHAI_MIDNIGHT,
        )
    )

    assert _reasons(route_options(profile=BERLIN, now=AFTER_SHANGHAI_MIDNIGHT)) == ["at daily capacity (1/1 today)"]
    assert [o.carrier_code for o in route_options(profile=BERLIN, now=BEFORE_SHANGHAI_MIDNIGHT).options] == ["sh-post"]


def test_a_warehouses_capacity_counts_on_its_own_day(rates):
    CoverageFactory(service__carrier__code="cn-post", service__base_price=Decimal("8.00"))
    CoverageFactory(
        service__carrier__code="la-post",
        service__base_price=Decimal("3.00"),
        origin_country="US",
        destination_country="DE",
    )
    warehouse = warehouse_upsert(
        code="la-hub",
        name="LA hub",
        country="US",
        city="Los Angeles",
        ships_to=["DE"],
        endpoint_url="http://127.0.0.1:1/wms/",
        handling_fee=Decimal("1.00"),
        currency="USD",
        carrier_codes=["la-post"],
    )
    warehouse.timezone, warehouse.daily_capacity = "America/Los_Angeles", 1
    warehouse.save()
    # 07:30 UTC on 26 November is still 25 November in Los Angeles (UTC-8).
    warehouse_usage_count(warehouse_code="la-hub", at=datetime(2026, 11, 25, 20, 0, tzinfo=UTC))
    stock = (WarehouseStock("la-hub", "TS-1", 5),)

    same_day = route_options(profile=BERLIN, stock=stock, now=datetime(2026, 11, 26, 7, 30, tzinfo=UTC))
    next_day = route_options(profile=BERLIN, stock=stock, now=datetime(2026, 11, 26, 8, 30, tzinfo=UTC))

    assert [e.reason for e in same_day.exclusions if e.warehouse_code] == ["warehouse at daily capacity (1/1 today)"]
    assert [o.warehouse_code for o in next_day.options] == ["la-hub", ""]


def test_a_carrier_time_zone_must_be_a_real_one(db):
    carrier = CarrierFactory.build(code="bad-tz", timezone="Mars/Olympus")

    with pytest.raises(ValidationError) as refused:
        carrier.full_clean()

    assert "timezone" in refused.value.message_dict
