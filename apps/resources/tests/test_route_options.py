"""The routing decision's raw material: which services can take a shipment, at what price, and why not."""

from dataclasses import replace
from decimal import Decimal

import pytest

from apps.resources.selectors import route_options
from apps.resources.tests.factories import CarrierServiceFactory, CoverageFactory
from apps.resources.types import Exclusion, ShipmentProfile

BERLIN = ShipmentProfile(
    origin_country="CN",
    destination_country="DE",
    destination_postcode="10115",
    parcel_weights_g=(1200,),
    longest_side_mm=300,
    service_level="standard",
)


def _coverage(*, carrier: str = "regio", prefixes=(), status: str = "active", **service):
    return CoverageFactory(
        service=CarrierServiceFactory(carrier__code=carrier, carrier__status=status, **service),
        postcode_prefixes=list(prefixes),
    )


def _verdict(profile: ShipmentProfile) -> str:
    """'eligible', or the one service's exclusion reason."""
    result = route_options(profile=profile)
    assert len(result.options) + len(result.exclusions) == 1
    return "eligible" if result.options else result.exclusions[0].reason


@pytest.mark.parametrize(
    ("coverage", "profile", "verdict"),
    [
        pytest.param({"prefixes": ["10"]}, BERLIN, "eligible", id="regional-in-area"),
        pytest.param(
            {"prefixes": ["10"]},
            replace(BERLIN, destination_postcode="80331"),
            "does not serve postcode 80331",
            id="regional-out-of-area",
        ),
        pytest.param(
            {"prefixes": ["10", "80"]}, replace(BERLIN, destination_postcode="80331"), "eligible", id="second-prefix"
        ),
        pytest.param({}, replace(BERLIN, destination_postcode="80331"), "eligible", id="no-prefixes-serves-all"),
        pytest.param(
            {"prefixes": ["SW1"]},
            replace(BERLIN, destination_country="GB", destination_postcode="sw1a 1aa"),
            "does not serve CN→GB",
            id="other-lane",
        ),
        pytest.param(
            {"max_weight_g": 2000},
            replace(BERLIN, parcel_weights_g=(1500, 2500)),
            "parcel of 2500 g exceeds the 2000 g limit",
            id="heaviest-parcel-over-limit",
        ),
        pytest.param({"max_weight_g": 2000}, replace(BERLIN, parcel_weights_g=(2000,)), "eligible", id="at-limit"),
        pytest.param(
            {"max_length_mm": 600},
            replace(BERLIN, longest_side_mm=601),
            "side of 601 mm exceeds the 600 mm limit",
            id="too-long",
        ),
        pytest.param({"status": "suspended"}, BERLIN, "carrier is suspended", id="carrier-suspended"),
        pytest.param({"status": "maintenance"}, BERLIN, "carrier is maintenance", id="carrier-in-maintenance"),
        pytest.param({"is_active": False}, BERLIN, "service is inactive", id="service-inactive"),
        pytest.param(
            {"level": "express"}, BERLIN, "service level is express, not standard", id="service-level-mismatch"
        ),
        pytest.param({"level": "express"}, replace(BERLIN, service_level=""), "eligible", id="any-service-level"),
    ],
)
def test_eligibility(db, coverage, profile, verdict):
    _coverage(**coverage)

    assert _verdict(profile) == verdict


def test_postcode_prefixes_ignore_case_and_spaces(db):
    CoverageFactory(destination_country="GB", postcode_prefixes=["sw1a "])
    london = replace(BERLIN, destination_country="GB", destination_postcode="SW1A 1AA")

    assert _verdict(london) == "eligible"
    assert _verdict(replace(london, destination_postcode="EC1A 1BB")) == "does not serve postcode EC1A 1BB"


def test_a_service_covering_a_lane_with_one_row_per_region_serves_every_region(db):
    north = CoverageFactory(postcode_prefixes=["10"])
    CoverageFactory(service=north.service, postcode_prefixes=["80"])

    assert _verdict(BERLIN) == "eligible"
    assert _verdict(replace(BERLIN, destination_postcode="80331")) == "eligible"
    assert _verdict(replace(BERLIN, destination_postcode="50667")) == "does not serve postcode 50667"


def test_options_come_cheapest_first_then_fastest_and_exclusions_say_why(db):
    _coverage(carrier="dear", base_price=Decimal("30.00"))
    _coverage(carrier="cheap-slow", base_price=Decimal("5.00"), transit_days_max=20)
    _coverage(carrier="cheap-fast", base_price=Decimal("5.00"), transit_days_max=6)
    _coverage(carrier="middle", base_price=Decimal("12.00"))
    _coverage(carrier="cheapest-but-closed", base_price=Decimal("1.00"), status="suspended")

    result = route_options(profile=BERLIN)

    assert [(o.carrier_code, o.price) for o in result.options] == [
        ("cheap-fast", Decimal("9.00")),
        ("cheap-slow", Decimal("9.00")),
        ("middle", Decimal("16.00")),
        ("dear", Decimal("34.00")),
    ]
    assert result.exclusions == (Exclusion("cheapest-but-closed", "standard", "carrier is suspended"),)


@pytest.mark.parametrize(
    ("weights", "billed_kg", "price"),
    [
        ((1,), 1, "12.00"),
        ((1000,), 1, "12.00"),
        ((1001,), 2, "14.00"),
        ((1200,), 2, "14.00"),
        ((2999,), 3, "16.00"),
        # Each parcel is billed its own base price and its own started kilograms.
        ((500, 500), 2, "24.00"),
        ((1001, 1001, 1), 5, "40.00"),
    ],
)
def test_each_parcel_pays_the_base_price_and_each_started_kilogram(db, weights, billed_kg, price):
    _coverage(base_price=Decimal("10.00"), price_per_kg=Decimal("2.00"), max_weight_g=30000)

    (option,) = route_options(profile=replace(BERLIN, parcel_weights_g=weights)).options

    assert option.price == Decimal(price)
    assert option.breakdown["billed_kg"] == billed_kg
    assert option.breakdown["total"] == price
    assert Decimal(option.breakdown["base"]) + Decimal(option.breakdown["weight"]) == Decimal(price)


def test_an_option_carries_what_the_order_and_the_merchant_need(rates):
    _coverage(
        carrier="dhl-ish",
        code="parcel-plus",
        level="standard",
        currency="EUR",
        transit_days_min=3,
        transit_days_max=5,
        base_price=Decimal("7.50"),
        price_per_kg=Decimal("1.25"),
    )

    (option,) = route_options(profile=replace(BERLIN, declared_currency="EUR")).options

    assert (option.carrier_code, option.service_code, option.service_level, option.currency) == (
        "dhl-ish",
        "parcel-plus",
        "standard",
        "EUR",
    )
    assert (option.price, option.transit_days_min, option.transit_days_max) == (Decimal("10.00"), 3, 5)
