"""The column scan (lanes.py) decides and prices exactly as the reference rules do.

`decide` checks and prices services as numpy columns; `rules.check` and `rules.price` are
the rules written one service at a time, which also give exclusions their reasons and options
their breakdowns. Here a plain loop over the reference rules ranks every order of a generated
catalogue by each strategy, and `decide` must return the same options, in the same order, at the
same prices, with the same scores, directly and from warehouses: rate cards with zones that do and
do not depend on the postcode, remote-area surcharges, value limits in whole and in fractions of
a cent, exchange rates with long fractions, content limits, capacity and blocked carriers.

Catalogues are compiled with `columns_from=0`, so that every lane, however small, is scanned as
columns; the ranking test also runs them with every lane left to the reference rules, the path
lanes of fewer than `lanes.COLUMNS_FROM` services take."""

from dataclasses import replace
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
    SurchargeSpec,
    WarehouseSpec,
    ZonePrices,
    ZoneSpec,
    compile_catalogue,
    decide,
    on_time_rate,
)
from apps.resources.routing.deciding import stocked_warehouses
from apps.resources.routing.rules import Decision, check, handling_cents, price
from apps.resources.routing.specs import after_cutoff
from apps.resources.types import STRATEGIES, MerchantPreferences, ParcelDims, ShipmentProfile, WarehouseStock

pytestmark = pytest.mark.clock

NOW = datetime(2026, 11, 25, 16, 0, tzinfo=UTC)  # after a 15:00 UTC cut-off: warehouse routes a day later
LANES = [("CN", "DE"), ("CN", "FR"), ("HK", "DE"), ("HK", "FR")]
CARRIERS = ["a", "b", "c", "d", "e"]
RATES = {"USD": Decimal("1"), "EUR": Decimal("1.083457"), "GBP": Decimal("1.27"), "CNY": Decimal("0.1381")}
CONTENTS = ["batteries", "liquids", "magnets", "food"]
money = st.decimals(min_value=Decimal("0.50"), max_value=Decimal("80"), places=2)
areas = st.one_of(
    st.just(Area()),
    st.just(Area()),
    st.builds(lambda p: Area.of([p]), st.sampled_from(["1", "10", "2", "75"])),
    st.builds(lambda lo: Area.of([], [f"{lo}000-{lo + 2}999"]), st.integers(10, 80)),
)
# Whole-country zones price the same whatever the postcode; "near" with a prefix does not.
ZONE_LAYOUTS = {
    "by-country": [ZoneSpec("de", frozenset({"DE"})), ZoneSpec("fr", frozenset({"FR"}))],
    "by-postcode": [ZoneSpec("near", frozenset({"DE"}), Area.of(["1"])), ZoneSpec("far", frozenset({"DE", "FR"}))],
    "one-zone": [ZoneSpec("eu", frozenset({"DE", "FR"}))],
}


@st.composite
def service_specs(draw, carrier: str, index: int, zone_codes: list[str]) -> ServiceSpec:
    lanes = draw(st.dictionaries(st.sampled_from(LANES), st.lists(areas, min_size=1, max_size=2), max_size=4))
    tmin = draw(st.integers(1, 6))
    card = None
    if draw(st.integers(0, 2)):  # two in three services price by a card
        bounds = sorted(draw(st.sets(st.integers(1, 30).map(lambda k: k * 500), min_size=1, max_size=4)))
        card = {
            zone: ZonePrices(
                bounds=bounds,
                prices=sorted(draw(st.lists(money, min_size=len(bounds), max_size=len(bounds)))),
                extra_per_kg=draw(st.sampled_from([Decimal("0"), Decimal("1.50"), Decimal("0.35")])),
            )
            for zone in draw(st.lists(st.sampled_from(zone_codes), min_size=1, unique=True))
        }
    limit = st.sampled_from([None, None, Decimal("50"), Decimal("499.99"), Decimal("120.005")])
    return ServiceSpec(
        carrier_code=carrier,
        service_code=f"s{index}",
        level=draw(st.sampled_from(["express", "standard"])),
        transit_days_min=tmin,
        transit_days_max=tmin + draw(st.integers(0, 4)),
        max_weight_g=draw(st.sampled_from([2000, 10000, 30000])),
        currency=draw(st.sampled_from(["USD", "USD", *RATES])),
        base_price=draw(money),
        price_per_kg=draw(money),
        max_length_mm=draw(st.sampled_from([400, 1200])),
        volumetric_divisor=draw(st.sampled_from([4000, 5000, 6000])),
        fuel_pct=draw(st.sampled_from([Decimal("0"), Decimal("7.5"), Decimal("12.25")])),
        max_value=draw(limit),
        min_value=draw(st.sampled_from([None, None, Decimal("10"), Decimal("0.015")])),
        refused_contents=frozenset(draw(st.lists(st.sampled_from(CONTENTS), max_size=2))),
        daily_capacity=draw(st.sampled_from([None, None, 3])),
        on_time_prior=draw(st.floats(0.5, 1.0)),
        card=card,
        card_currency=draw(st.sampled_from(sorted(RATES))) if card else "",
        lanes=lanes,
    )


ALL_AS_COLUMNS = st.just(0)


@st.composite
def catalogues(draw, columns_from=ALL_AS_COLUMNS):
    specs, zones, surcharges = [], {}, {}
    for carrier in CARRIERS:
        zones[carrier] = ZONE_LAYOUTS[draw(st.sampled_from(sorted(ZONE_LAYOUTS)))]
        codes = [z.code for z in zones[carrier]] + ["nowhere"]
        specs += [draw(service_specs(carrier, i, codes)) for i in range(draw(st.integers(0, 6)))]
        if draw(st.booleans()):
            surcharges[carrier] = [
                SurchargeSpec(
                    name="remote",
                    country=draw(st.sampled_from(["DE", "FR"])),
                    area=Area.of([draw(st.sampled_from(["1", "2", "9"]))]),
                    amount=draw(money),
                    currency=draw(st.sampled_from([*RATES, "XAF"])),
                )
            ]
    warehouses = [
        WarehouseSpec(
            code=code,
            country=country,
            ships_to=frozenset({"DE", "FR"}),
            carriers=frozenset(draw(st.lists(st.sampled_from(CARRIERS), min_size=1, max_size=3))),
            handling_fee=draw(money),
            currency=draw(st.sampled_from([*RATES, "XAF"])),
        )
        for code, country in (("hk-hub", "HK"), ("sz-hub", "CN"))
    ]
    return compile_catalogue(
        services=specs,
        zones=zones,
        surcharges=surcharges,
        usd_per_unit=RATES,
        warehouses=warehouses,
        columns_from=draw(columns_from),
    )


# Weights on and next to the breaks (multiples of 500 g), values on and next to the limits.
weights = st.one_of(
    st.integers(1, 25000), st.integers(1, 50).map(lambda k: k * 500), st.integers(1, 50).map(lambda k: k * 500 + 1)
)
values = st.one_of(
    st.decimals(min_value=Decimal("0"), max_value=Decimal("900"), places=3),
    st.sampled_from(["50", "50.001", "49.999", "499.99", "499.991", "120.005", "120.004", "10", "9.999", "0.015"]).map(
        Decimal
    ),
)


@st.composite
def orders(draw) -> ShipmentProfile:
    parcels = draw(st.integers(1, 3))
    dims = tuple(
        ParcelDims(draw(st.integers(50, 600)), draw(st.integers(50, 400)), draw(st.integers(10, 300)))
        for _ in range(parcels)
    )
    origin, destination = draw(st.sampled_from(LANES))
    return ShipmentProfile(
        origin_country=origin,
        destination_country=destination,
        destination_postcode=draw(st.from_regex(r"[0-9]{5}", fullmatch=True)),
        parcel_weights_g=tuple(draw(weights) for _ in range(parcels)),
        longest_side_mm=max(max(d.length_mm, d.width_mm, d.height_mm) for d in dims),
        service_level=draw(st.sampled_from(["", "express", "standard"])),
        parcel_dims=dims if draw(st.booleans()) else (),  # without sizes, parcels bill their weight
        declared_value=draw(values),
        declared_currency=draw(st.sampled_from(["USD", "USD", *RATES, "XAF"])),
        contents=frozenset(draw(st.lists(st.sampled_from(CONTENTS), max_size=1))),
        skus=(("TS-1", 1),),
    )


preferences = st.builds(
    lambda blocked, preferred: MerchantPreferences(
        blocked_carriers=frozenset(blocked), preferred_carriers=frozenset(preferred)
    ),
    st.lists(st.sampled_from(CARRIERS), max_size=1),
    st.lists(st.sampled_from(CARRIERS), max_size=2),
)
counters = st.builds(
    lambda used, records: Counters(usage=used, records=records),
    st.dictionaries(st.tuples(st.sampled_from(CARRIERS), st.sampled_from(["s0", "s1", "s2"])), st.integers(0, 5)),
    st.dictionaries(
        st.tuples(st.sampled_from(CARRIERS), st.sampled_from(["s0", "s1", "s2"])),
        st.integers(0, 50).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
    ),
)
stock = st.sampled_from([(), (WarehouseStock("hk-hub", "TS-1", 2),), (WarehouseStock("sz-hub", "TS-1", 5),)])


def assert_scan_agrees_with_reference(cat, profile, prefs=None, count=None, held=()):
    prefs, count = prefs or MerchantPreferences(), count or Counters()
    d = Decision(cat, profile, NOW.date())
    routes = [(None, (profile.origin_country, profile.destination_country))]
    routes += [(w, (w.country, profile.destination_country)) for w in stocked_warehouses(cat, profile, held, [], {})]
    for warehouse, lane in routes:
        key = (*lane, profile.service_level) if profile.service_level else lane
        table = cat.tables.get(key)
        if table is None:
            continue
        positions, quoted = table.scan(
            d,
            blocked=prefs.blocked_carriers,
            usage=count.usage,
            carriers=warehouse.carriers if warehouse else None,
            handling=(lambda currency, w=warehouse: handling_cents(d, w, currency)) if warehouse else None,
        )
        scanned = {table.services[p].key: q for p, q in zip(positions.tolist(), quoted.tolist(), strict=True)}
        expected = {}
        for s in table.services:
            if warehouse is not None and s.carrier_code not in warehouse.carriers:
                continue
            got = check(d, s, s.lanes[lane], prefs.blocked_carriers) or price(d, s, count.usage, warehouse)
            if not isinstance(got, str):
                expected[s.key] = got[0]
        assert scanned == expected
        # The table leaves to the reference rules only what its columns cannot express.
        assert {s.key for s in table.services}.isdisjoint(s.key for s in table.by_reference)


@settings(max_examples=examples(300), deadline=None)
@given(catalogues(), orders(), preferences, counters, stock)
def test_each_lane_scan_takes_and_prices_exactly_the_services_the_reference_rules_take(
    cat, profile, prefs, count, held
):
    assert_scan_agrees_with_reference(cat, profile, prefs, count, held)


def _one_service(**fields):
    spec = {
        "carrier_code": "a",
        "service_code": "s0",
        "level": "standard",
        "transit_days_min": 1,
        "transit_days_max": 2,
        "max_weight_g": 30000,
        "currency": "USD",
        "base_price": Decimal("1.00"),
        "price_per_kg": Decimal("0"),
        "lanes": {("CN", "DE"): [Area()]},
    }
    card = {"de": ZonePrices(bounds=[500, 1000, 2000], prices=[Decimal("1"), Decimal("2"), Decimal("3")])}
    if fields.pop("with_card", False):
        spec.update(card=card, card_currency=spec["currency"])
    spec.update(fields)
    return compile_catalogue(
        services=[ServiceSpec(**spec)], zones={"a": ZONE_LAYOUTS["by-country"]}, usd_per_unit=RATES, columns_from=0
    )


def _order(grams=1000, value="20", currency="USD"):
    return ShipmentProfile(
        origin_country="CN",
        destination_country="DE",
        destination_postcode="10115",
        parcel_weights_g=(grams,),
        longest_side_mm=100,
        declared_value=Decimal(value),
        declared_currency=currency,
    )


@pytest.mark.parametrize(
    ("service", "order"),
    [
        pytest.param({"max_value": Decimal("50")}, {"value": "50"}, id="value-at-the-limit"),
        pytest.param({"max_value": Decimal("50")}, {"value": "50.001"}, id="value-a-tenth-of-a-cent-over"),
        pytest.param({"max_value": Decimal("50")}, {"value": "46.16", "currency": "EUR"}, id="converted-value-over"),
        pytest.param({"max_value": Decimal("50")}, {"value": "46.14", "currency": "EUR"}, id="converted-value-under"),
        pytest.param({"min_value": Decimal("10")}, {"value": "10"}, id="value-at-the-minimum"),
        pytest.param({"min_value": Decimal("10")}, {"value": "9.999"}, id="value-a-tenth-of-a-cent-under"),
        pytest.param({"max_value": Decimal("50")}, {"currency": "XAF"}, id="value-without-an-exchange-rate"),
        pytest.param({"with_card": True}, {"grams": 1000}, id="weight-on-a-break"),
        pytest.param({"with_card": True}, {"grams": 1001}, id="weight-just-over-a-break"),
        pytest.param({"with_card": True}, {"grams": 2001}, id="over-the-last-break-without-a-per-kg-rate"),
        pytest.param(
            {"card": {"de": ZonePrices([500], [Decimal("1")], Decimal("0.35"))}, "card_currency": "USD"},
            {"grams": 1501},
            id="over-the-last-break-per-started-kg",
        ),
        pytest.param(
            {"card": {"de": ZonePrices([500], [Decimal("1")], Decimal("0.35"))}, "card_currency": "USD"},
            {"grams": 1500},
            id="over-the-last-break-by-a-whole-kg",
        ),
        pytest.param({"fuel_pct": Decimal("12.5")}, {}, id="fuel-half-a-cent-rounds-up"),
        pytest.param({"fuel_pct": Decimal("12.49")}, {}, id="fuel-under-half-a-cent-rounds-down"),
        pytest.param({"currency": "CNY"}, {"currency": "EUR"}, id="price-converted-with-long-fractions"),
    ],
)
def test_the_scan_agrees_with_the_reference_at_each_boundary(service, order):
    cat, profile = _one_service(**service), _order(**order)

    assert_scan_agrees_with_reference(cat, profile)
    assert_scan_agrees_with_reference(cat, replace(profile, service_level="standard"))


def reference_ranking(cat, profile, strategy, prefs, count, held):
    """(carrier, service, warehouse, quoted cents, score) best first, one service at a time."""
    d = Decision(cat, profile, NOW.date())
    found = []  # (service, warehouse code, delay, quoted)
    routes = [(None, (profile.origin_country, profile.destination_country), 0)]
    for w in stocked_warehouses(cat, profile, held, [], {}):
        routes.append((w, (w.country, profile.destination_country), 1 if after_cutoff(w, NOW) else 0))
    for warehouse, lane, delay in routes:
        for s in cat.by_lane.get((*lane, profile.service_level) if profile.service_level else lane, ()):
            if warehouse is not None and s.carrier_code not in warehouse.carriers:
                continue
            got = check(d, s, s.lanes[lane], prefs.blocked_carriers) or price(d, s, count.usage, warehouse)
            if not isinstance(got, str):
                found.append((s, warehouse.code if warehouse else "", delay, got[0]))
    if not found:
        return []

    def rate(s):
        on_time, delivered = count.records.get(s.key, (0, 0))
        return on_time_rate(on_time=on_time, delivered=delivered, prior=cat.priors[s.key])

    cheapest = min(q for *_, q in found)
    fastest = min(s.tmax + delay for s, _, delay, _ in found)

    def tie(f):
        s, code, delay, quoted = f
        return (quoted, s.tmax + delay, s.carrier_code, s.service_code, code)

    def cheap(quoted):
        return cheapest / quoted if quoted else 1.0

    if strategy == "fastest":
        found.sort(key=lambda f: (f[0].tmax + f[2], f[0].tmin + f[2], *tie(f)))
        scores = [fastest / (s.tmax + delay) for s, _, delay, _ in found]
    elif strategy == "on_time":
        found.sort(key=lambda f: (-rate(f[0]), *tie(f)))
        scores = [rate(s) for s, *_ in found]
    elif strategy == "preferred":
        preferred = prefs.preferred_carriers
        found.sort(key=lambda f: (f[0].carrier_code not in preferred, *tie(f)))
        scores = [(s.carrier_code in preferred) + cheap(q) for s, _, _, q in found]
    else:
        found.sort(key=tie)
        scores = [cheap(q) for *_, q in found]
    return [
        (s.carrier_code, s.service_code, code, quoted, round(score, 4))
        for (s, code, _, quoted), score in zip(found, scores, strict=True)
    ]


@settings(max_examples=examples(300), deadline=None)
@given(catalogues(st.sampled_from([0, 1000])), orders(), st.sampled_from(STRATEGIES), preferences, counters, stock)
def test_decide_ranks_the_same_options_at_the_same_prices_as_the_reference_rules(
    cat, profile, strategy, prefs, count, held
):
    result = decide(cat, profile=profile, strategy=strategy, preferences=prefs, stock=held, counters=count, now=NOW)

    got = [(o.carrier_code, o.service_code, o.warehouse_code, int(o.price.scaleb(2)), o.score) for o in result.options]
    assert got == reference_ranking(cat, profile, strategy, prefs, count, held)
    # Every service is offered or excluded with a reason, directly and from each stocked warehouse.
    offered = {(o.carrier_code, o.service_code, o.warehouse_code) for o in result.options}
    excluded = {(e.carrier_code, e.service_code, e.warehouse_code) for e in result.exclusions if e.service_code}
    assert not offered & excluded
    assert {(s.carrier_code, s.service_code, "") for s in cat.services} <= offered | excluded
