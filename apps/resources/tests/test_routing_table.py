"""Routing's tricky cases, one row each: the verdict on a single service is its price in the quote
currency when eligible, else the reason it was excluded."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from apps.resources.selectors import route_options
from apps.resources.services import service_usage_count
from apps.resources.tests.factories import (
    CarrierServiceFactory,
    CoverageFactory,
    RateBreakFactory,
    RateCardFactory,
    ZoneFactory,
)
from apps.resources.types import MerchantPreferences, ParcelDims, ShipmentProfile

pytestmark = pytest.mark.clock

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
BERLIN = ShipmentProfile(
    origin_country="CN",
    destination_country="DE",
    destination_postcode="10115",
    parcel_weights_g=(1200,),
    longest_side_mm=300,
    service_level="standard",
)
BOX = ParcelDims(400, 300, 200)  # 24,000,000 mm³: 4,800 g at divisor 5000


def _service(*, prefixes=(), ranges=(), status="active", **fields):
    """One carrier 'regio' with one service 'standard' (10.00 + 2.00 per started kg, USD) on CN→DE."""
    service = CarrierServiceFactory(carrier__code="regio", carrier__status=status, **fields)
    CoverageFactory(service=service, postcode_prefixes=list(prefixes), postcode_ranges=list(ranges))
    return service


def _verdict(profile: ShipmentProfile, **kwargs) -> str:
    result = route_options(profile=profile, now=NOW, **kwargs)
    assert len(result.options) + len(result.exclusions) == 1
    if result.options:
        return f"{result.options[0].price} {result.options[0].currency}"
    return result.exclusions[0].reason


@pytest.mark.parametrize(
    ("service", "profile", "verdict"),
    [
        # Regional carriers limited by postcode prefix or range.
        pytest.param({"prefixes": ["10", "12"]}, BERLIN, "14.00 USD", id="prefix-in-area"),
        pytest.param(
            {"prefixes": ["10", "12"]},
            replace(BERLIN, destination_postcode="80331"),
            "does not serve postcode 80331",
            id="prefix-out-of-area",
        ),
        pytest.param({"ranges": ["10000-14999"]}, BERLIN, "14.00 USD", id="range-in-area"),
        pytest.param(
            {"ranges": ["10000-14999"]},
            replace(BERLIN, destination_postcode="15230"),
            "does not serve postcode 15230",
            id="range-just-above",
        ),
        pytest.param(
            {"ranges": ["100-149"]}, replace(BERLIN, destination_postcode="14999"), "14.00 USD", id="range-by-head"
        ),
        pytest.param(
            {"ranges": ["80000-81999"], "prefixes": ["10"]}, BERLIN, "14.00 USD", id="prefix-or-range-either-serves"
        ),
        # Volumetric weight: each parcel bills max(actual, L*W*H mm³ / divisor) grams.
        pytest.param({}, replace(BERLIN, parcel_weights_g=(1000,), parcel_dims=(BOX,)), "20.00 USD", id="volumetric"),
        pytest.param(
            {"volumetric_divisor": 6000},
            replace(BERLIN, parcel_weights_g=(1000,), parcel_dims=(BOX,)),
            "18.00 USD",
            id="volumetric-larger-divisor",
        ),
        pytest.param(
            {},
            replace(BERLIN, parcel_weights_g=(1000,), parcel_dims=(ParcelDims(100, 100, 100),)),
            "12.00 USD",
            id="small-box-bills-actual",
        ),
        pytest.param(
            {},
            replace(BERLIN, parcel_weights_g=(1000, 1000), parcel_dims=(BOX, ParcelDims(100, 100, 100))),
            "32.00 USD",
            id="volumetric-per-parcel",
        ),
        # Declared value limits, in the service's currency.
        pytest.param(
            {"max_declared_value": Decimal("100")},
            replace(BERLIN, declared_value=Decimal("150")),
            "declared value 150.00 USD exceeds the 100.00 USD limit",
            id="value-over-limit",
        ),
        pytest.param(
            {"max_declared_value": Decimal("100")},
            replace(BERLIN, declared_value=Decimal("100")),
            "14.00 USD",
            id="value-at-limit",
        ),
        pytest.param(
            {"max_declared_value": Decimal("100")},
            replace(BERLIN, declared_value=Decimal("95"), declared_currency="EUR"),
            "declared value 102.60 USD exceeds the 100.00 USD limit",
            id="value-over-limit-after-conversion",
        ),
        pytest.param(
            {"min_declared_value": Decimal("20")},
            replace(BERLIN, declared_value=Decimal("5")),
            "declared value 5.00 USD is under the 20.00 USD minimum",
            id="value-under-minimum",
        ),
        # Contents.
        pytest.param(
            {"refused_contents": ["batteries", "liquids"]},
            replace(BERLIN, contents=frozenset({"batteries"})),
            "does not accept batteries",
            id="batteries-refused",
        ),
        pytest.param(
            {"refused_contents": ["liquids"]},
            replace(BERLIN, contents=frozenset({"batteries"})),
            "14.00 USD",
            id="batteries-accepted",
        ),
        # Carrier status.
        pytest.param({"status": "suspended"}, BERLIN, "carrier is suspended", id="suspended"),
        pytest.param({"status": "maintenance"}, BERLIN, "carrier is maintenance", id="maintenance"),
        # Currency: a EUR service quoted in the declared currency (USD): 14.00 EUR x 1.08.
        pytest.param({"currency": "EUR"}, BERLIN, "15.12 USD", id="eur-service-quoted-in-usd"),
        pytest.param(
            {"currency": "EUR"}, replace(BERLIN, declared_currency="EUR"), "14.00 EUR", id="eur-service-eur-quote"
        ),
        pytest.param({}, replace(BERLIN, declared_currency="GBP"), "11.02 GBP", id="usd-service-quoted-in-gbp"),
        pytest.param({"currency": "XAF"}, BERLIN, "no exchange rate for XAF", id="no-rate-for-the-service-currency"),
        pytest.param({}, replace(BERLIN, declared_currency="XAF"), "14.00 USD", id="unknown-quote-currency-is-usd"),
        # Fuel surcharge on the freight.
        pytest.param({"fuel_surcharge_pct": Decimal("12.5")}, BERLIN, "15.75 USD", id="fuel-surcharge"),
    ],
)
def test_a_single_service_verdict(rates, service, profile, verdict):
    _service(**service)

    assert _verdict(profile) == verdict


@pytest.mark.parametrize(
    ("used", "verdict"),
    [
        pytest.param(0, "14.00 USD", id="unused"),
        pytest.param(1, "14.00 USD", id="one-left"),
        pytest.param(2, "at daily capacity (2/2 today)", id="capacity-exhausted"),
    ],
)
def test_a_service_at_its_daily_capacity_is_skipped(rates, used, verdict):
    _service(daily_capacity=2)
    if used:
        service_usage_count(carrier_code="regio", service_code="standard", at=NOW, orders=used)

    assert _verdict(BERLIN) == verdict


def test_yesterdays_usage_does_not_count(rates):
    _service(daily_capacity=1)
    service_usage_count(carrier_code="regio", service_code="standard", at=NOW - timedelta(days=1))

    assert _verdict(BERLIN) == "14.00 USD"


@pytest.mark.parametrize(
    ("preferences", "verdict"),
    [
        pytest.param(
            MerchantPreferences(blocked_carriers=frozenset({"regio"})), "blocked by the merchant", id="blocked"
        ),
        pytest.param(MerchantPreferences(blocked_carriers=frozenset({"other"})), "14.00 USD", id="other-blocked"),
        pytest.param(MerchantPreferences(preferred_carriers=frozenset({"regio"})), "14.00 USD", id="preferred"),
    ],
)
def test_a_carrier_the_merchant_blocked_is_excluded(rates, preferences, verdict):
    _service()

    assert _verdict(BERLIN, preferences=preferences) == verdict


def _card(**service):
    """A rate card in EUR: zone 'de-1' (all DE) and 'de-berlin' (10-14) with two breaks each."""
    svc = _service(**service)
    card = RateCardFactory(service=svc, currency="EUR")
    berlin = ZoneFactory(carrier=svc.carrier, code="a-berlin", countries=["DE"], postcode_prefixes=["10", "11"])
    rest = ZoneFactory(carrier=svc.carrier, code="b-de", countries=["DE"])
    for zone, (small, large, extra) in {berlin: ("4.00", "6.00", "1.00"), rest: ("5.00", "8.00", "0")}.items():
        RateBreakFactory(card=card, zone=zone, up_to_g=1000, price=Decimal(small))
        RateBreakFactory(card=card, zone=zone, up_to_g=5000, price=Decimal(large), extra_per_kg=Decimal(extra))
    return svc


@pytest.mark.parametrize(
    ("weights", "postcode", "zone", "price"),
    [
        pytest.param((1000,), "10115", "a-berlin", "4.00", id="first-break-inclusive"),
        pytest.param((1001,), "10115", "a-berlin", "6.00", id="second-break"),
        pytest.param((5000, 800), "10115", "a-berlin", "10.00", id="two-parcels"),
        pytest.param((7200,), "10115", "a-berlin", "9.00", id="over-the-last-break-per-started-kg"),
        pytest.param((1001,), "80331", "b-de", "8.00", id="other-zone"),
    ],
)
def test_rate_card_prices_by_zone_and_weight_break(rates, weights, postcode, zone, price):
    _card()
    profile = replace(BERLIN, parcel_weights_g=weights, destination_postcode=postcode, declared_currency="EUR")

    (option,) = route_options(profile=profile, now=NOW).options

    assert (option.price, option.currency, option.breakdown["zone"]) == (Decimal(price), "EUR", zone)


def test_a_rate_card_without_a_price_above_its_last_break_excludes(rates):
    _card()

    result = route_options(profile=replace(BERLIN, parcel_weights_g=(5001,), destination_postcode="80331"), now=NOW)

    assert [e.reason for e in result.exclusions] == ["rate card prices no parcel over 5000 g to zone b-de"]


def test_breakdown_shows_fuel_remote_area_and_both_currencies(rates):
    svc = _card(fuel_surcharge_pct=Decimal("10"))
    svc.carrier.surcharges.create(country="DE", postcode_ranges=["10100-10199"], amount=Decimal("2.16"), currency="USD")

    (option,) = route_options(profile=replace(BERLIN, parcel_weights_g=(800, 900)), now=NOW).options

    # 2 x 4.00 EUR freight, 0.80 fuel, 2 x 2.00 EUR remote area (2.16 USD each) = 12.80 EUR = 13.82 USD.
    assert option.breakdown == {
        "billed_kg": 2,
        "zone": "a-berlin",
        "base": "8.00",
        "weight": "0.00",
        "fuel": "0.80",
        "remote_area": "4.00",
        "total": "12.80",
        "currency": "EUR",
        "quote_currency": "USD",
        "quote_total": "13.82",
    }
    assert (option.price, option.currency, option.original_price, option.original_currency) == (
        Decimal("13.82"),
        "USD",
        Decimal("12.80"),
        "EUR",
    )
