"""The routing engine: a compiled, in-process catalogue and the decision over it. No ORM here.

`catalogue.py` builds a `Catalogue` from the database (or a benchmark or a property test builds
one in memory) through `compile_catalogue`; `decide` answers one order from it without I/O.
Rules, formula and strategies: docs/routing.md.
"""

import math
from bisect import bisect_left
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from apps.resources.types import (
    STRATEGIES,
    Exclusion,
    MerchantPreferences,
    RouteOption,
    RoutingResult,
    ShipmentProfile,
    WarehouseStock,
)

CENT = Decimal("0.01")
HUNDRED = Decimal("100")
ON_TIME_PRIOR_WEIGHT = 20  # the staff's estimate counts as this many deliveries
OFF_LANE_CACHE = 64  # lanes whose off-lane exclusions are kept ready
NO_PREFERENCES = MerchantPreferences()


def normalize_postcode(postcode: str) -> str:
    return postcode.replace(" ", "").upper()


def parse_ranges(ranges) -> tuple[tuple[str, str], ...]:
    out = []
    for r in ranges:
        low, _, high = normalize_postcode(r).partition("-")
        out.append((low, high))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class Area:
    """Part of a country: postcodes with one of the prefixes or within one of the ranges; both
    empty means the whole country."""

    prefixes: tuple[str, ...] = ()
    ranges: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, prefixes=(), ranges=()) -> "Area":
        return cls(tuple(normalize_postcode(p) for p in prefixes if p.strip()), parse_ranges(ranges))

    @property
    def whole_country(self) -> bool:
        return not self.prefixes and not self.ranges

    def contains(self, postcode: str) -> bool:
        if not self.prefixes and not self.ranges:
            return True
        for p in self.prefixes:
            if postcode.startswith(p):
                return True
        for low, high in self.ranges:
            head = postcode[: len(low)]
            if len(head) == len(low) and low <= head <= high:
                return True
        return False


@dataclass(slots=True)
class ZoneSpec:
    code: str
    countries: frozenset[str]
    area: Area = Area()


@dataclass(slots=True)
class SurchargeSpec:
    name: str
    country: str
    area: Area
    amount: Decimal
    currency: str


@dataclass(slots=True)
class ZonePrices:
    """Weight breaks of one zone: `bounds[i]` g or less costs `prices[i]`; above the last bound,
    each started kg adds `extra_per_kg` (0: no price above the last break)."""

    bounds: list[int]
    prices: list[Decimal]
    extra_per_kg: Decimal = Decimal("0")


@dataclass(slots=True)
class ServiceSpec:
    carrier_code: str
    service_code: str
    level: str
    transit_days_min: int
    transit_days_max: int
    max_weight_g: int
    currency: str
    base_price: Decimal = Decimal("0")
    price_per_kg: Decimal = Decimal("0")
    carrier_status: str = "active"
    is_active: bool = True
    max_length_mm: int = 1200
    volumetric_divisor: int = 5000
    fuel_pct: Decimal = Decimal("0")
    min_value: Decimal | None = None
    max_value: Decimal | None = None
    refused_contents: frozenset[str] = frozenset()
    daily_capacity: int | None = None
    on_time_prior: float = 0.9
    # The rate card: zone code → prices, in card_currency; None: base_price/price_per_kg.
    card: dict[str, ZonePrices] | None = None
    card_currency: str = ""
    # Coverage: (origin, destination) → areas of the destination served.
    lanes: dict[tuple[str, str], list[Area]] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        return self.carrier_code, self.service_code


@dataclass(slots=True)
class WarehouseSpec:
    code: str
    country: str
    ships_to: frozenset[str]
    carriers: frozenset[str]
    handling_fee: Decimal
    currency: str
    cutoff: time = time(15, 0)
    timezone: str = "UTC"
    is_active: bool = True


@dataclass(frozen=True)
class Counters:
    """What changes all day and is read slightly stale: orders accepted today per service, and
    each service's delivery record (on time, delivered)."""

    usage: dict[tuple[str, str], int] = field(default_factory=dict)
    records: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)


NO_COUNTERS = Counters()


def on_time_rate(*, on_time: int, delivered: int, prior: float) -> float:
    """The record, with the staff's estimate counting as ON_TIME_PRIOR_WEIGHT deliveries."""
    return (on_time + prior * ON_TIME_PRIOR_WEIGHT) / (delivered + ON_TIME_PRIOR_WEIGHT)


@dataclass
class Catalogue:
    services: list[ServiceSpec]
    zones: dict[str, list[ZoneSpec]]  # carrier code → zones, in code order
    surcharges: dict[str, list[SurchargeSpec]]  # carrier code → remote-area surcharges
    usd_per_unit: dict[str, Decimal]
    warehouses: list[WarehouseSpec] = field(default_factory=list)
    preferences: dict[int, MerchantPreferences] = field(default_factory=dict)
    version: int | None = None
    by_lane: dict[tuple[str, str], list[ServiceSpec]] = field(default_factory=dict)
    priors: dict[tuple[str, str], float] = field(default_factory=dict)
    _off_lane: OrderedDict = field(default_factory=OrderedDict)

    def off_lane_exclusions(self, lane: tuple[str, str], level: str) -> tuple[tuple[Exclusion, ...], dict]:
        """Every service that does not cover the lane, with why, in (carrier, service) order, and
        for each service that does, how many of those come before it (kept for the busiest lanes)."""
        cache_key = (lane, level)
        cached = self._off_lane.get(cache_key)
        if cached is not None:
            self._off_lane.move_to_end(cache_key)
            return cached
        reason = f"does not serve {lane[0]}→{lane[1]}"
        out: list[Exclusion] = []
        positions: dict[tuple[str, str], int] = {}
        for s in self.services:
            if lane in s.lanes:
                positions[s.key] = len(out)
                continue
            why = _static_reason(s)
            if not why and level and s.level != level:
                why = f"service level is {s.level}, not {level}"
            out.append(Exclusion(s.carrier_code, s.service_code, why or reason))
        result = (tuple(out), positions)
        self._off_lane[cache_key] = result
        if len(self._off_lane) > OFF_LANE_CACHE:
            self._off_lane.popitem(last=False)
        return result


def compile_catalogue(
    *,
    services: list[ServiceSpec],
    zones: dict[str, list[ZoneSpec]] | None = None,
    surcharges: dict[str, list[SurchargeSpec]] | None = None,
    usd_per_unit: dict[str, Decimal] | None = None,
    warehouses: list[WarehouseSpec] | None = None,
    preferences: dict[int, MerchantPreferences] | None = None,
    version: int | None = None,
) -> Catalogue:
    """Index services by lane (in carrier, service order) and put everything in its place."""
    services = sorted(services, key=lambda s: s.key)
    by_lane: dict[tuple[str, str], list[ServiceSpec]] = {}
    for s in services:
        for lane in s.lanes:
            by_lane.setdefault(lane, []).append(s)
    rates = {"USD": Decimal("1")}
    rates.update(usd_per_unit or {})
    return Catalogue(
        services=services,
        zones=zones or {},
        surcharges=surcharges or {},
        usd_per_unit=rates,
        warehouses=sorted(warehouses or [], key=lambda w: w.code),
        preferences=preferences or {},
        version=version,
        by_lane=by_lane,
        priors={s.key: s.on_time_prior for s in services},
    )


def _static_reason(s: ServiceSpec) -> str:
    if s.carrier_status != "active":
        return f"carrier is {s.carrier_status}"
    if not s.is_active:
        return "service is inactive"
    return ""


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(slots=True)
class _Order:
    """The parts of a profile the rules read, prepared once per decision."""

    postcode: str
    postcode_as_given: str
    destination: str
    weights: tuple[int, ...]
    billable: dict[int, tuple[int, ...]]  # volumetric divisor → billable grams per parcel
    volumes_mm3: tuple[int, ...]
    heaviest: int
    longest: int
    level: str
    value: Decimal
    value_currency: str
    contents: frozenset[str]
    quote_currency: str

    def billable_g(self, divisor: int) -> tuple[int, ...]:
        got = self.billable.get(divisor)
        if got is None:
            got = self.weights
            if self.volumes_mm3:
                pairs = zip(self.weights, self.volumes_mm3, strict=True)
                volumetric = tuple(max(w, -(-v // divisor)) for w, v in pairs)
                if volumetric != got:
                    got = volumetric
            self.billable[divisor] = got
        return got


def _prepare(profile: ShipmentProfile, rates: dict[str, Decimal]) -> _Order:
    volumes = tuple(d.length_mm * d.width_mm * d.height_mm for d in profile.parcel_dims)
    if len(volumes) != len(profile.parcel_weights_g):
        volumes = ()
    longest = max([profile.longest_side_mm, *(max(d.length_mm, d.width_mm, d.height_mm) for d in profile.parcel_dims)])
    value_currency = profile.declared_currency.upper()
    return _Order(
        postcode=normalize_postcode(profile.destination_postcode),
        postcode_as_given=profile.destination_postcode,
        destination=profile.destination_country,
        weights=profile.parcel_weights_g,
        billable={},
        volumes_mm3=volumes,
        heaviest=max(profile.parcel_weights_g, default=0),
        longest=longest,
        level=profile.service_level,
        value=profile.declared_value,
        value_currency=value_currency,
        contents=profile.contents,
        quote_currency=value_currency if value_currency in rates else "USD",
    )


class _Refused(Exception):
    pass


def _convert(amount: Decimal, source: str, target: str, rates: dict[str, Decimal]) -> Decimal:
    if source == target:
        return amount
    try:
        return amount * rates[source] / rates[target]
    except KeyError as exc:
        raise _Refused(f"no exchange rate for {exc.args[0]}") from None


def _zone(cat: Catalogue, s: ServiceSpec, order: _Order) -> str | None:
    for z in cat.zones.get(s.carrier_code, ()):
        if order.destination in z.countries and z.code in s.card and z.area.contains(order.postcode):
            return z.code
    return None


def _price(cat: Catalogue, s: ServiceSpec, order: _Order) -> tuple[Decimal, str, dict]:
    """The price in the service's pricing currency, that currency, and the breakdown."""
    billable = order.billable_g(s.volumetric_divisor)
    kilos = [-(-g // 1000) for g in billable]
    breakdown: dict = {"billed_kg": sum(kilos)}
    if billable is not order.weights:
        breakdown["billable_g"] = list(billable)  # volumetric weight counted
    if s.card is not None:
        currency = s.card_currency
        zone = _zone(cat, s, order)
        if zone is None:
            raise _Refused(f"no rate card zone for {order.destination} {order.postcode_as_given}")
        prices = s.card[zone]
        base = weight = Decimal("0")
        for g in billable:
            i = bisect_left(prices.bounds, g)
            if i < len(prices.bounds):
                base += prices.prices[i]
            elif prices.extra_per_kg:
                base += prices.prices[-1]
                weight += prices.extra_per_kg * math.ceil((g - prices.bounds[-1]) / 1000)
            else:
                raise _Refused(f"rate card prices no parcel over {prices.bounds[-1]} g to zone {zone}")
        breakdown["zone"] = zone
    else:
        currency = s.currency
        base = s.base_price * len(billable)
        weight = s.price_per_kg * sum(kilos)
    total = _money(base + weight)
    breakdown.update(base=str(_money(base)), weight=str(_money(weight)))
    if s.fuel_pct:
        fuel = _money((base + weight) * s.fuel_pct / HUNDRED)
        breakdown["fuel"] = str(fuel)
        total += fuel
    remote = Decimal("0")
    for sc in cat.surcharges.get(s.carrier_code, ()):
        if sc.country == order.destination and sc.area.contains(order.postcode):
            remote += _convert(sc.amount, sc.currency, currency, cat.usd_per_unit) * len(billable)
    if remote:
        breakdown["remote_area"] = str(_money(remote))
        total += _money(remote)
    breakdown["total"] = str(total)
    return total, currency, breakdown


def _refusal(cat: Catalogue, s: ServiceSpec, order: _Order, areas: list[Area], prefs: MerchantPreferences) -> str:
    """Why the service cannot take the order, or "" (the rules in the order of docs/routing.md)."""
    if s.carrier_status != "active":
        return f"carrier is {s.carrier_status}"
    if not s.is_active:
        return "service is inactive"
    if order.level and s.level != order.level:
        return f"service level is {s.level}, not {order.level}"
    if s.carrier_code in prefs.blocked_carriers:
        return "blocked by the merchant"
    if not any(a.contains(order.postcode) for a in areas):
        return f"does not serve postcode {order.postcode_as_given}"
    if order.heaviest > s.max_weight_g:
        return f"parcel of {order.heaviest} g exceeds the {s.max_weight_g} g limit"
    if order.longest > s.max_length_mm:
        return f"side of {order.longest} mm exceeds the {s.max_length_mm} mm limit"
    if s.max_value is not None or s.min_value is not None:
        value = _convert(order.value, order.value_currency, s.currency, cat.usd_per_unit)
        if s.max_value is not None and value > s.max_value:
            return f"declared value {_money(value)} {s.currency} exceeds the {s.max_value} {s.currency} limit"
        if s.min_value is not None and value < s.min_value:
            return f"declared value {_money(value)} {s.currency} is under the {s.min_value} {s.currency} minimum"
    refused = order.contents & s.refused_contents
    if refused:
        return f"does not accept {', '.join(sorted(refused))}"
    return ""


def _window(today: date, s: ServiceSpec, delay: int) -> tuple[date, date]:
    return today + timedelta(days=s.transit_days_min + delay), today + timedelta(days=s.transit_days_max + delay)


def _evaluate(
    cat: Catalogue,
    s: ServiceSpec,
    areas: list[Area],
    order: _Order,
    prefs: MerchantPreferences,
    usage: dict[tuple[str, str], int],
    today: date,
    warehouse: WarehouseSpec | None,
    delay: int,
) -> RouteOption | str:
    try:
        reason = _refusal(cat, s, order, areas, prefs)
        if reason:
            return reason
        total, currency, breakdown = _price(cat, s, order)
        if warehouse is not None:
            fee = _money(_convert(warehouse.handling_fee, warehouse.currency, currency, cat.usd_per_unit))
            breakdown["handling"] = str(fee)
            total += fee
            breakdown["total"] = str(total)
        price = _money(_convert(total, currency, order.quote_currency, cat.usd_per_unit))
    except _Refused as exc:
        return str(exc)
    if s.daily_capacity is not None:
        used = usage.get(s.key, 0)
        if used >= s.daily_capacity:
            return f"at daily capacity ({used}/{s.daily_capacity} today)"
    converted = currency != order.quote_currency
    if converted:
        breakdown["currency"] = currency
        breakdown["quote_currency"] = order.quote_currency
        breakdown["quote_total"] = str(price)
    earliest, latest = _window(today, s, delay)
    return RouteOption(
        carrier_code=s.carrier_code,
        service_code=s.service_code,
        service_level=s.level,
        price=price,
        currency=order.quote_currency,
        transit_days_min=s.transit_days_min + delay,
        transit_days_max=s.transit_days_max + delay,
        breakdown=breakdown,
        warehouse_code=warehouse.code if warehouse else "",
        delivery_earliest=earliest,
        delivery_latest=latest,
        original_price=total if converted else None,
        original_currency=currency if converted else "",
    )


def _stocked_warehouses(
    cat: Catalogue, profile: ShipmentProfile, stock: tuple[WarehouseStock, ...], exclusions: list[Exclusion]
) -> list[WarehouseSpec]:
    """Warehouses that hold every SKU of the order in quantity and ship to its destination."""
    if not stock or not profile.skus:
        return []
    held: dict[str, dict[str, int]] = {}
    for row in stock:
        held.setdefault(row.warehouse_code, {})
        held[row.warehouse_code][row.sku] = held[row.warehouse_code].get(row.sku, 0) + row.quantity
    out = []
    for w in cat.warehouses:
        if w.code not in held or not w.is_active:
            continue
        short = [sku for sku, qty in profile.skus if held[w.code].get(sku, 0) < qty]
        if short:
            exclusions.append(Exclusion("", "", f"warehouse lacks stock of {', '.join(short)}", w.code))
        elif profile.destination_country not in w.ships_to:
            exclusions.append(Exclusion("", "", f"warehouse does not ship to {profile.destination_country}", w.code))
        else:
            out.append(w)
    return out


def _after_cutoff(w: WarehouseSpec, now: datetime) -> bool:
    return now.astimezone(ZoneInfo(w.timezone)).time() >= w.cutoff


def _rank(
    options: list[RouteOption], strategy: str, cat: Catalogue, prefs: MerchantPreferences, counters: Counters
) -> list:
    if not options:
        return options
    cheapest = min(o.price for o in options)
    fastest = min(o.transit_days_max for o in options)

    def tie(o: RouteOption) -> tuple:
        return (o.price, o.transit_days_max, o.carrier_code, o.service_code, o.warehouse_code)

    priors = cat.priors

    def rate(o: RouteOption) -> float:
        key = (o.carrier_code, o.service_code)
        on_time, delivered = counters.records.get(key, (0, 0))
        return on_time_rate(on_time=on_time, delivered=delivered, prior=priors[key])

    def cheap_score(o: RouteOption) -> float:
        return float(cheapest / o.price) if o.price else 1.0

    if strategy == "fastest":
        key, score = (
            (lambda o: (o.transit_days_max, o.transit_days_min, *tie(o))),
            (lambda o: fastest / max(o.transit_days_max, 1) if o.transit_days_max else 1.0),
        )
    elif strategy == "on_time":
        key, score = (lambda o: (-rate(o), *tie(o))), rate
    elif strategy == "preferred":
        key = lambda o: (o.carrier_code not in prefs.preferred_carriers, *tie(o))  # noqa: E731
        score = lambda o: (1.0 if o.carrier_code in prefs.preferred_carriers else 0.0) + cheap_score(o)  # noqa: E731
    else:
        key, score = tie, cheap_score
    options.sort(key=key)
    return [_with_score(o, round(score(o), 4)) for o in options]


def _with_score(o: RouteOption, score: float) -> RouteOption:
    object.__setattr__(o, "score", score)  # the option is ours until returned
    return o


def decide(
    cat: Catalogue,
    *,
    profile: ShipmentProfile,
    strategy: str = "cheapest",
    preferences: MerchantPreferences | None = None,
    stock: tuple[WarehouseStock, ...] = (),
    counters: Counters = NO_COUNTERS,
    now: datetime,
) -> RoutingResult:
    """Every eligible option ranked by the strategy, and every excluded one with the reason."""
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; choose one of {', '.join(STRATEGIES)}")
    prefs = preferences or NO_PREFERENCES
    usage = counters.usage
    today = now.date()
    order = _prepare(profile, cat.usd_per_unit)
    options: list[RouteOption] = []
    exclusions: list[Exclusion] = []
    lane = (profile.origin_country, profile.destination_country)
    off_lane, positions = cat.off_lane_exclusions(lane, order.level)
    previous = 0
    for s in cat.by_lane.get(lane, ()):
        got = _evaluate(cat, s, s.lanes[lane], order, prefs, usage, today, None, 0)
        if isinstance(got, str):
            # Merged into the off-lane exclusions so that all come in (carrier, service) order.
            position = positions[s.key]
            exclusions.extend(off_lane[previous:position])
            exclusions.append(Exclusion(s.carrier_code, s.service_code, got))
            previous = position
        else:
            options.append(got)
    exclusions.extend(off_lane[previous:])
    for w in _stocked_warehouses(cat, profile, stock, exclusions):
        delay = 1 if _after_cutoff(w, now) else 0
        w_lane = (w.country, profile.destination_country)
        for s in cat.by_lane.get(w_lane, ()):
            if s.carrier_code not in w.carriers:
                continue
            got = _evaluate(cat, s, s.lanes[w_lane], order, prefs, usage, today, w, delay)
            if isinstance(got, str):
                exclusions.append(Exclusion(s.carrier_code, s.service_code, got, w.code))
            else:
                options.append(got)
    ranked = _rank(options, strategy, cat, prefs, counters)
    return RoutingResult(
        options=tuple(ranked),
        exclusions=tuple(exclusions),
        strategy=strategy,
    )
