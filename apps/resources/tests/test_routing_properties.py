"""Properties of the routing decision on random catalogues, compiled in memory through the same
`compile_catalogue` the database's rows go through (no database: thousands of cases in seconds)."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apps.common.testing import examples
from apps.resources.routing import (
    Area,
    Counters,
    ServiceSpec,
    ZonePrices,
    ZoneSpec,
    compile_catalogue,
    decide,
    normalize_postcode,
)
from apps.resources.types import STRATEGIES, MerchantPreferences, ParcelDims, ShipmentProfile

pytestmark = pytest.mark.clock

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
COUNTRIES = ["CN", "DE", "FR"]
CARRIERS = ["a", "b", "c", "d"]
RATES = {"USD": Decimal("1"), "EUR": Decimal("1.08"), "GBP": Decimal("1.27")}
CONTENTS = ["batteries", "liquids", "magnets"]
money = st.decimals(min_value=Decimal("0.50"), max_value=Decimal("80"), places=2)

LANES = [("CN", "DE"), ("CN", "FR"), ("DE", "FR")]
areas = st.one_of(
    st.just(Area()),
    st.just(Area()),
    st.builds(lambda p: Area.of([p]), st.sampled_from(["1", "10", "2", "75"])),
    st.builds(lambda lo: Area.of([], [f"{lo}000-{lo + 2}999"]), st.integers(10, 80)),
)


@st.composite
def services(draw, carrier: str, index: int) -> ServiceSpec:
    lanes = draw(st.dictionaries(st.sampled_from(LANES), st.lists(areas, min_size=1, max_size=2), max_size=3))
    tmin = draw(st.integers(1, 10))
    card = None
    if draw(st.booleans()):
        card = {
            zone: ZonePrices(
                bounds=[1000, 5000, 20000],
                prices=sorted(draw(st.lists(money, min_size=3, max_size=3))),
                extra_per_kg=draw(st.sampled_from([Decimal("0"), Decimal("1.50")])),
            )
            for zone in ("near", "far")
        }
    return ServiceSpec(
        carrier_code=carrier,
        service_code=f"s{index}",
        level=draw(st.sampled_from(["express", "standard", "economy"])),
        transit_days_min=tmin,
        transit_days_max=tmin + draw(st.integers(0, 10)),
        max_weight_g=draw(st.sampled_from([2000, 10000, 30000])),
        currency=draw(st.sampled_from(sorted(RATES))),
        base_price=draw(money),
        price_per_kg=draw(money),
        carrier_status=draw(st.sampled_from(["active", "active", "active", "suspended", "maintenance"])),
        is_active=draw(st.sampled_from([True, True, True, False])),
        max_length_mm=draw(st.sampled_from([400, 1200])),
        volumetric_divisor=draw(st.sampled_from([4000, 5000, 6000])),
        fuel_pct=draw(st.sampled_from([Decimal("0"), Decimal("7.5"), Decimal("15")])),
        max_value=draw(st.sampled_from([None, None, None, Decimal("50"), Decimal("500")])),
        min_value=draw(st.sampled_from([None, None, None, Decimal("10")])),
        refused_contents=frozenset(draw(st.lists(st.sampled_from(CONTENTS), max_size=1))),
        daily_capacity=draw(st.sampled_from([None, None, 3])),
        on_time_prior=draw(st.floats(0.5, 1.0)),
        card=card,
        card_currency=draw(st.sampled_from(sorted(RATES))) if card else "",
        lanes=lanes,
    )


@st.composite
def catalogues(draw):
    specs = []
    for carrier in CARRIERS:
        for i in range(draw(st.integers(0, 5))):
            specs.append(draw(services(carrier, i)))
    zones = {
        c: [ZoneSpec("near", frozenset({"DE"}), Area.of(["1"])), ZoneSpec("far", frozenset(COUNTRIES))]
        for c in CARRIERS
    }
    return compile_catalogue(services=specs, zones=zones, usd_per_unit=RATES)


@st.composite
def profiles(draw) -> ShipmentProfile:
    parcels = draw(st.integers(1, 3))
    dims = tuple(
        ParcelDims(draw(st.integers(50, 600)), draw(st.integers(50, 400)), draw(st.integers(10, 300)))
        for _ in range(parcels)
    )
    return ShipmentProfile(
        **dict(
            zip(("origin_country", "destination_country"), draw(st.sampled_from([*LANES, ("FR", "CN")])), strict=True)
        ),
        destination_postcode=draw(st.from_regex(r"[0-9]{5}", fullmatch=True)),
        parcel_weights_g=tuple(draw(st.integers(1, 12000)) for _ in range(parcels)),
        longest_side_mm=max(max(d.length_mm, d.width_mm, d.height_mm) for d in dims),
        service_level=draw(st.sampled_from(["", "", "", "express", "standard", "economy"])),
        parcel_dims=dims,
        declared_value=draw(st.decimals(min_value=Decimal("0"), max_value=Decimal("900"), places=2)),
        declared_currency=draw(st.sampled_from([*RATES, *RATES, "XAF"])),
        contents=frozenset(draw(st.lists(st.sampled_from(CONTENTS), max_size=1))),
    )


preferences = st.builds(
    lambda blocked, preferred: MerchantPreferences(
        blocked_carriers=frozenset(blocked), preferred_carriers=frozenset(preferred)
    ),
    st.lists(st.sampled_from(CARRIERS), max_size=2),
    st.lists(st.sampled_from(CARRIERS), max_size=2),
)
usage = st.dictionaries(st.tuples(st.sampled_from(CARRIERS), st.sampled_from(["s0", "s1", "s2"])), st.integers(0, 5))


def _eligible(spec: ServiceSpec, p: ShipmentProfile, prefs: MerchantPreferences, used: dict) -> bool:
    """The rules of docs/routing.md, written out plainly, independently of the engine."""
    lane = (p.origin_country, p.destination_country)
    postcode = normalize_postcode(p.destination_postcode)
    value_currency = p.declared_currency if p.declared_currency in RATES else None
    value = p.declared_value * RATES[value_currency] / RATES[spec.currency] if value_currency else None
    longest = max(max(d.length_mm, d.width_mm, d.height_mm) for d in p.parcel_dims)
    return (
        spec.carrier_status == "active"
        and spec.is_active
        and (not p.service_level or spec.level == p.service_level)
        and lane in spec.lanes
        and spec.carrier_code not in prefs.blocked_carriers
        and any(a.contains(postcode) for a in spec.lanes[lane])
        and max(p.parcel_weights_g) <= spec.max_weight_g
        and longest <= spec.max_length_mm
        and (spec.max_value is None or (value is not None and value <= spec.max_value))
        and (spec.min_value is None or (value is not None and value >= spec.min_value))
        and not (p.contents & spec.refused_contents)
        and (spec.daily_capacity is None or used.get(spec.key, 0) < spec.daily_capacity)
    )


@settings(max_examples=examples(150), deadline=None)
@given(catalogues(), profiles(), st.sampled_from(STRATEGIES), preferences, usage)
def test_every_option_satisfies_every_rule_and_every_service_is_accounted_for(cat, profile, strategy, prefs, used):
    result = decide(cat, profile=profile, strategy=strategy, preferences=prefs, counters=Counters(usage=used), now=NOW)

    specs = {s.key: s for s in cat.services}
    offered = [(o.carrier_code, o.service_code) for o in result.options]
    excluded = [(e.carrier_code, e.service_code) for e in result.exclusions]
    assert sorted(offered + excluded) == sorted(specs)  # each once: offered or excluded with a reason
    assert all(e.reason for e in result.exclusions)
    for key in offered:
        assert _eligible(specs[key], profile, prefs, used), key
    # A rule-abiding service is left out only for want of a price (rate card, exchange rate).
    for e in result.exclusions:
        if _eligible(specs[(e.carrier_code, e.service_code)], profile, prefs, used):
            assert e.reason.startswith(("rate card", "no rate card", "no exchange rate")), e.reason


@settings(max_examples=examples(150), deadline=None)
@given(catalogues(), profiles(), preferences)
def test_cheapest_comes_first_at_the_minimum_price_and_fastest_at_the_minimum_transit(cat, profile, prefs):
    cheapest = decide(cat, profile=profile, strategy="cheapest", preferences=prefs, now=NOW).options
    fastest = decide(cat, profile=profile, strategy="fastest", preferences=prefs, now=NOW).options

    if cheapest:
        assert cheapest[0].price == min(o.price for o in cheapest)
        assert [o.price for o in cheapest] == sorted(o.price for o in cheapest)
        assert fastest[0].transit_days_max == min(o.transit_days_max for o in fastest)
        assert len({o.currency for o in cheapest}) == 1  # one quote currency: prices compare
    # The strategy orders the same options at the same prices.
    assert sorted((o.carrier_code, o.service_code, o.price) for o in cheapest) == sorted(
        (o.carrier_code, o.service_code, o.price) for o in fastest
    )


@settings(max_examples=examples(100), deadline=None)
@given(catalogues(), profiles())
def test_preferred_carriers_come_first_then_cheapest(cat, profile):
    prefs = MerchantPreferences(preferred_carriers=frozenset({"b", "c"}))

    options = decide(cat, profile=profile, strategy="preferred", preferences=prefs, now=NOW).options

    flags = [o.carrier_code in prefs.preferred_carriers for o in options]
    assert flags == sorted(flags, reverse=True)
    for group in (True, False):
        prices = [o.price for o, f in zip(options, flags, strict=True) if f is group]
        assert prices == sorted(prices)
