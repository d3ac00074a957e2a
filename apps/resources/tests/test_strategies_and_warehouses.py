"""Ranking by strategy, merchant preferences, and routes from a warehouse holding the stock."""

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from apps.resources.models import MerchantRoutingPreference
from apps.resources.selectors import merchant_preferences, route_options
from apps.resources.services import warehouse_upsert, warehouse_usage_count
from apps.resources.tests.factories import CarrierServiceFactory, CoverageFactory
from apps.resources.types import MerchantPreferences, ShipmentProfile, WarehouseStock

pytestmark = pytest.mark.clock

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
BERLIN = ShipmentProfile(
    origin_country="CN",
    destination_country="DE",
    destination_postcode="10115",
    parcel_weights_g=(1200,),
    longest_side_mm=300,
    service_level="",
    skus=(("TS-1", 2),),
)


def _service(carrier, *, base, days, on_time="0.900", lane=("CN", "DE"), level="standard"):
    service = CarrierServiceFactory(
        carrier__code=carrier,
        code=level,
        level=level,
        base_price=Decimal(base),
        transit_days_min=days[0],
        transit_days_max=days[1],
        on_time_prior=Decimal(on_time),
    )
    CoverageFactory(service=service, origin_country=lane[0], destination_country=lane[1])
    return service


@pytest.fixture
def three(rates):
    _service("cheap-slow", base="5.00", days=(10, 20), on_time="0.700")  # 9.00
    _service("mid", base="12.00", days=(5, 8), on_time="0.990")  # 16.00
    _service("fast-dear", base="30.00", days=(1, 2), on_time="0.800")  # 34.00


@pytest.mark.parametrize(
    ("strategy", "preferences", "order"),
    [
        pytest.param("cheapest", None, ["cheap-slow", "mid", "fast-dear"], id="cheapest"),
        pytest.param("fastest", None, ["fast-dear", "mid", "cheap-slow"], id="fastest"),
        pytest.param("on_time", None, ["mid", "fast-dear", "cheap-slow"], id="on-time"),
        pytest.param(
            "preferred",
            MerchantPreferences(preferred_carriers=frozenset({"fast-dear"})),
            ["fast-dear", "cheap-slow", "mid"],
            id="preferred-then-cheapest",
        ),
        pytest.param(
            "preferred",
            MerchantPreferences(preferred_carriers=frozenset({"fast-dear", "mid"})),
            ["mid", "fast-dear", "cheap-slow"],
            id="two-preferred-cheapest-first",
        ),
        pytest.param(
            "cheapest",
            MerchantPreferences(blocked_carriers=frozenset({"cheap-slow"})),
            ["mid", "fast-dear"],
            id="blocked-left-out",
        ),
    ],
)
def test_each_strategy_ranks_the_eligible_options(three, strategy, preferences, order):
    result = route_options(profile=BERLIN, strategy=strategy, preferences=preferences, now=NOW)

    assert [o.carrier_code for o in result.options] == order
    assert [o.score for o in result.options] == sorted((o.score for o in result.options), reverse=True)
    assert result.strategy == strategy


def test_scores_and_delivery_windows(three):
    cheapest = route_options(profile=BERLIN, now=NOW).options
    fastest = route_options(profile=BERLIN, strategy="fastest", now=NOW).options

    assert [o.score for o in cheapest] == [1.0, 0.5625, 0.2647]  # cheapest price / price
    assert [o.score for o in fastest] == [1.0, 0.25, 0.1]  # fastest latest day / latest day
    assert [(o.delivery_earliest, o.delivery_latest) for o in fastest] == [
        (date(2026, 11, 26), date(2026, 11, 27)),
        (date(2026, 11, 30), date(2026, 12, 3)),
        (date(2026, 12, 5), date(2026, 12, 15)),
    ]


def test_an_unknown_strategy_is_refused(three):
    with pytest.raises(ValueError, match="unknown strategy"):
        route_options(profile=BERLIN, strategy="random", now=NOW)


def test_merchant_preferences_are_read_from_the_admin_row(rates):
    MerchantRoutingPreference.objects.create(
        merchant_id=7, preferred_carriers=["mid"], blocked_carriers=["x"], default_strategy="preferred"
    )

    assert merchant_preferences(merchant_id=7) == MerchantPreferences(
        preferred_carriers=frozenset({"mid"}), blocked_carriers=frozenset({"x"}), default_strategy="preferred"
    )
    assert merchant_preferences(merchant_id=8) == MerchantPreferences()


def _warehouse(
    *, ships_to=("DE",), carriers=("hk-post",), cutoff="15:00", country="HK", fee="1.20", daily_capacity=None
):
    warehouse = warehouse_upsert(
        code="hk-hub",
        name="HK hub",
        country=country,
        city="Hong Kong",
        ships_to=list(ships_to),
        endpoint_url="http://127.0.0.1:1/wms/",
        handling_fee=Decimal(fee),
        currency="USD",
        carrier_codes=list(carriers),
    )
    warehouse.cutoff_time = cutoff
    warehouse.daily_capacity = daily_capacity
    warehouse.save()


STOCK = (WarehouseStock("hk-hub", "TS-1", 5),)
DIRECT = ("cn-post", "", "12.00", 6, 9)


@pytest.fixture
def hk(rates):
    _service("cn-post", base="8.00", days=(6, 9))  # direct from CN: 12.00
    _service("hk-post", base="3.00", days=(3, 5), lane=("HK", "DE"))  # from the warehouse: 7.00 + 1.20


@pytest.mark.parametrize(
    ("warehouse", "stock", "profile", "now", "routes"),
    [
        pytest.param({}, STOCK, BERLIN, NOW, [("hk-post", "hk-hub", "8.20", 3, 5), DIRECT], id="offered"),
        pytest.param(
            {},
            STOCK,
            BERLIN,
            NOW.replace(hour=16),
            [("hk-post", "hk-hub", "8.20", 4, 6), DIRECT],
            id="after-cut-off-a-day-later",
        ),
        pytest.param({}, (), BERLIN, NOW, [DIRECT], id="no-stock-passed"),
        pytest.param({}, (WarehouseStock("hk-hub", "TS-1", 1),), BERLIN, NOW, [DIRECT], id="too-little"),
        pytest.param({"ships_to": ["FR"]}, STOCK, BERLIN, NOW, [DIRECT], id="not-shipping-there"),
        pytest.param({"carriers": []}, STOCK, BERLIN, NOW, [DIRECT], id="no-carrier-from-there"),
        pytest.param({}, STOCK, replace(BERLIN, skus=()), NOW, [DIRECT], id="items-without-sku"),
        pytest.param({"daily_capacity": 2}, STOCK, BERLIN, NOW, [DIRECT], id="at-daily-capacity"),
        pytest.param(
            {"daily_capacity": 3}, STOCK, BERLIN, NOW, [("hk-post", "hk-hub", "8.20", 3, 5), DIRECT], id="one-left"
        ),
    ],
)
def test_a_warehouse_route_is_offered_when_it_holds_the_stock_and_serves_the_destination(
    hk, warehouse, stock, profile, now, routes
):
    _warehouse(**warehouse)
    warehouse_usage_count(warehouse_code="hk-hub", at=NOW, orders=2)  # two orders today

    result = route_options(profile=profile, stock=stock, now=now)

    assert [
        (o.carrier_code, o.warehouse_code, str(o.price), o.transit_days_min, o.transit_days_max) for o in result.options
    ] == routes


@pytest.mark.parametrize(
    ("warehouse", "stock", "reason"),
    [
        pytest.param({}, (WarehouseStock("hk-hub", "TS-1", 1),), "warehouse lacks stock of TS-1", id="short"),
        pytest.param({"ships_to": ["FR"]}, STOCK, "warehouse does not ship to DE", id="destination"),
        pytest.param({"daily_capacity": 2}, STOCK, "warehouse at daily capacity (2/2 today)", id="at-daily-capacity"),
        pytest.param(
            {"carriers": []}, STOCK, "no carrier from there takes the order (hands parcels to none)", id="no-carrier"
        ),
    ],
)
def test_a_warehouse_not_offered_says_why(hk, warehouse, stock, reason):
    _warehouse(**warehouse)
    warehouse_usage_count(warehouse_code="hk-hub", at=NOW, orders=2)

    result = route_options(profile=BERLIN, stock=stock, now=NOW)

    assert [(e.warehouse_code, e.reason) for e in result.exclusions if e.warehouse_code] == [("hk-hub", reason)]


def test_a_warehouse_route_has_the_handling_fee_in_its_breakdown(hk):
    _warehouse()

    (option,) = [o for o in route_options(profile=BERLIN, stock=STOCK, now=NOW).options if o.warehouse_code]

    assert option.breakdown == {"billed_kg": 2, "base": "3.00", "weight": "4.00", "handling": "1.20", "total": "8.20"}
