"""The routing engine: a compiled, in-process catalogue and the decision over it. No ORM here.

`catalogue.py` builds a `Catalogue` from the database (or a benchmark or a property test builds
one in memory) through `compile_catalogue`; `decide` answers one order from it without I/O.
Rules, formula and strategies: docs/routing.md.
"""

import functools
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from itertools import accumulate, chain
from zoneinfo import ZoneInfo

import numpy as np

from apps.resources.lanes import COLUMNS_FROM, LaneTable, content_bits
from apps.resources.types import (
    STRATEGIES,
    Exclusion,
    MerchantPreferences,
    RankedOptions,
    RouteOption,
    RoutingResult,
    ShipmentProfile,
    WarehouseStock,
)

CENT = Decimal("0.01")
HUNDRED = Decimal("100")
ON_TIME_PRIOR_WEIGHT = 20  # the staff's estimate counts as this many deliveries
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
    timezone: str = "UTC"  # the carrier's: its daily capacity counts per day there
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
    daily_capacity: int | None = None


@dataclass(frozen=True)
class Counters:
    """What changes all day and is read slightly stale, as of one decision's `now`: orders accepted
    per service and per warehouse on the day `now` falls on where each works (`local_day`), and
    each service's delivery record (on time, delivered)."""

    usage: dict[tuple[str, str], int] = field(default_factory=dict)
    records: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)
    warehouse_usage: dict[str, int] = field(default_factory=dict)


NO_COUNTERS = Counters()


def on_time_rate(*, on_time: int, delivered: int, prior: float) -> float:
    """The record, with the staff's estimate counting as ON_TIME_PRIOR_WEIGHT deliveries."""
    return (on_time + prior * ON_TIME_PRIOR_WEIGHT) / (delivered + ON_TIME_PRIOR_WEIGHT)


class _Service:
    """A service compiled for the hot path: money in integer cents of its pricing currency."""

    __slots__ = (
        "base_c",
        "capacity",
        "card",
        "carrier_code",
        "currency",
        "divisor",
        "fuel_bp",
        "has_surcharges",
        "key",
        "lanes",
        "level",
        "max_length",
        "max_value",
        "max_weight",
        "min_value",
        "ordinal",
        "per_kg_c",
        "refused",
        "service_code",
        "tmax",
        "tmin",
        "value_currency",
    )

    def __init__(self, s: ServiceSpec, *, has_surcharges: bool, ordinal: int):
        self.has_surcharges = has_surcharges
        self.ordinal = ordinal  # position in (carrier, service) order: every ranking's tie-break
        self.key = s.key
        self.carrier_code, self.service_code, self.level = s.carrier_code, s.service_code, s.level
        self.tmin, self.tmax = s.transit_days_min, s.transit_days_max
        self.max_weight, self.max_length, self.divisor = s.max_weight_g, s.max_length_mm, s.volumetric_divisor
        self.fuel_bp = int(s.fuel_pct * 100)  # hundredths of a percent
        self.min_value, self.max_value, self.value_currency = s.min_value, s.max_value, s.currency
        self.refused = s.refused_contents
        self.capacity = s.daily_capacity
        if s.card is not None:
            self.currency = s.card_currency
            self.card = {
                zone: (list(z.bounds), [_cents(p) for p in z.prices], _cents(z.extra_per_kg))
                for zone, z in s.card.items()
            }
        else:
            self.currency, self.card = s.currency, None
        self.base_c, self.per_kg_c = _cents(s.base_price), _cents(s.price_per_kg)
        # None: the whole destination country is served on that lane.
        self.lanes = {
            lane: None if any(a.whole_country for a in areas) else tuple(areas) for lane, areas in s.lanes.items()
        }


def _cents(amount: Decimal) -> int:
    return int(amount.quantize(CENT, rounding=ROUND_HALF_UP) * 100)


def _fmt(cents: int) -> str:
    # Exact for whole cents below 10^13: the nearest float to n/100 rounds back to n/100.
    return f"{cents / 100:.2f}"


def _new_option(fields: dict) -> RouteOption:
    """A RouteOption without the frozen dataclass's per-field __setattr__ (the hot path makes
    hundreds per decision); `fields` must name every field, as RouteOption(**fields) would."""
    option = object.__new__(RouteOption)
    option.__dict__.update(fields)
    return option


@dataclass
class Catalogue:
    services: list[ServiceSpec]
    zones: dict[str, list[ZoneSpec]]  # carrier code → zones, in code order
    surcharges: dict[str, list[SurchargeSpec]]  # carrier code → remote-area surcharges
    usd_per_unit: dict[str, Decimal]
    warehouses: list[WarehouseSpec] = field(default_factory=list)
    preferences: dict[int, MerchantPreferences] = field(default_factory=dict)
    version: int | None = None
    # (origin, destination) → compiled services on the lane that are open, in (carrier, service)
    # order; under (origin, destination, level) only those of the level.
    by_lane: dict[tuple, list[_Service]] = field(default_factory=dict)
    priors: dict[tuple[str, str], float] = field(default_factory=dict)
    # The same lanes as numpy columns (lanes.py), and the compiled service of each open one.
    tables: dict[tuple, LaneTable] = field(default_factory=dict)
    warehouse_rank: dict[str, int] = field(default_factory=dict)  # 1, 2, ... in code order; direct is 0
    factors: dict[tuple[str, str], tuple[int, int] | None] = field(default_factory=dict)  # see _Decision.factor
    compiled: dict[tuple[str, str], _Service] = field(default_factory=dict)


def compile_catalogue(
    *,
    services: list[ServiceSpec],
    zones: dict[str, list[ZoneSpec]] | None = None,
    surcharges: dict[str, list[SurchargeSpec]] | None = None,
    usd_per_unit: dict[str, Decimal] | None = None,
    warehouses: list[WarehouseSpec] | None = None,
    preferences: dict[int, MerchantPreferences] | None = None,
    version: int | None = None,
    columns_from: int = COLUMNS_FROM,
) -> Catalogue:
    """Index open services by lane and by lane and level, money in cents, in (carrier, service)
    order, and lay out as columns each such lane of at least `columns_from` services."""
    services = sorted(services, key=lambda s: s.key)
    zones, surcharges = zones or {}, surcharges or {}
    by_lane: dict[tuple, list[_Service]] = {}
    compiled_services = {}
    for ordinal, s in enumerate(services):
        if _static_reason(s):
            continue
        compiled = compiled_services[s.key] = _Service(
            s, has_surcharges=bool(surcharges.get(s.carrier_code)), ordinal=ordinal
        )
        for lane in s.lanes:
            by_lane.setdefault(lane, []).append(compiled)
            by_lane.setdefault((*lane, s.level), []).append(compiled)
    bits = content_bits(s.refused_contents for s in services)
    tables = {
        key: LaneTable(
            lane_services, lane=key[:2], zones=zones, surcharges=surcharges, bits=bits, columns_from=columns_from
        )
        for key, lane_services in by_lane.items()
    }
    rates = {"USD": Decimal("1")}
    rates.update(usd_per_unit or {})
    warehouses = sorted(warehouses or [], key=lambda w: w.code)
    return Catalogue(
        services=services,
        zones=zones,
        surcharges=surcharges,
        usd_per_unit=rates,
        warehouses=warehouses,
        warehouse_rank={w.code: i + 1 for i, w in enumerate(warehouses)},
        preferences=preferences or {},
        version=version,
        by_lane=by_lane,
        priors={s.key: s.on_time_prior for s in services},
        tables=tables,
        compiled=compiled_services,
    )


def _static_reason(s: ServiceSpec) -> str:
    if s.carrier_status != "active":
        return f"carrier is {s.carrier_status}"
    if not s.is_active:
        return "service is inactive"
    return ""


class _Decision:
    """One order's facts and the per-decision caches the rules share."""

    def __init__(self, cat: Catalogue, profile: ShipmentProfile, today: date):
        self.cat = cat
        self.rates = cat.usd_per_unit
        self.postcode = normalize_postcode(profile.destination_postcode)
        self.postcode_as_given = profile.destination_postcode
        self.destination = profile.destination_country
        self.weights = profile.parcel_weights_g
        self.parcels = len(self.weights)
        volumes = tuple(d.length_mm * d.width_mm * d.height_mm for d in profile.parcel_dims)
        self.volumes = volumes if len(volumes) == self.parcels else ()
        self.heaviest = max(self.weights, default=0)
        self.longest = max(
            [profile.longest_side_mm, *(max(d.length_mm, d.width_mm, d.height_mm) for d in profile.parcel_dims)]
        )
        self.level = profile.service_level
        self.value = profile.declared_value
        self.value_currency = profile.declared_currency.upper()
        self.contents = profile.contents
        self.quote = self.value_currency if self.value_currency in self.rates else "USD"
        self.today = today
        self._billable: dict[int, tuple[tuple[int, ...], int]] = {}
        self._values: dict[str, Decimal | None] = {}
        self._factors: dict[str, Decimal | None] = {}
        self._zones: dict[str, list[str]] = {}
        self._remote: dict[tuple[str, str], int | None] = {}
        self._days: dict[int, date] = {}

    def billable(self, divisor: int) -> tuple[tuple[int, ...], int]:
        """Billable grams per parcel at the divisor, and the started kilograms they make."""
        got = self._billable.get(divisor)
        if got is None:
            grams = self.weights
            if self.volumes:
                volumetric = tuple(max(w, -(-v // divisor)) for w, v in zip(self.weights, self.volumes, strict=True))
                if volumetric != grams:
                    grams = volumetric
            got = self._billable[divisor] = (grams, sum(-(-g // 1000) for g in grams))
        return got

    def value_in(self, currency: str) -> Decimal | None:
        if currency not in self._values:
            rates = self.rates
            if currency == self.value_currency:
                self._values[currency] = self.value
            elif currency in rates and self.value_currency in rates:
                self._values[currency] = self.value * rates[self.value_currency] / rates[currency]
            else:
                self._values[currency] = None
        return self._values[currency]

    def factor(self, currency: str) -> tuple[int, int] | None:
        """What one unit of `currency` is in the quote currency, as an exact fraction (None: no
        rate); worked out once per catalogue and pair of currencies."""
        if currency not in self._factors:
            pair = (currency, self.quote)
            if pair not in self.cat.factors:
                rate = self.rates.get(currency)
                ratio = None if rate is None else Fraction(rate) / Fraction(self.rates[self.quote])
                self.cat.factors[pair] = None if ratio is None else (ratio.numerator, ratio.denominator)
            self._factors[currency] = self.cat.factors[pair]
        return self._factors[currency]

    def zones(self, carrier_code: str) -> list[str]:
        got = self._zones.get(carrier_code)
        if got is None:
            got = self._zones[carrier_code] = [
                z.code
                for z in self.cat.zones.get(carrier_code, ())
                if self.destination in z.countries and z.area.contains(self.postcode)
            ]
        return got

    def remote_cents(self, carrier_code: str, currency: str) -> int | None:
        """The carrier's remote-area surcharge per parcel here, in cents of `currency`; None: no rate."""
        key = (carrier_code, currency)
        if key not in self._remote:
            total = Decimal("0")
            for sc in self.cat.surcharges.get(carrier_code, ()):
                if sc.country == self.destination and sc.area.contains(self.postcode):
                    if sc.currency == currency:
                        total += sc.amount
                    elif sc.currency in self.rates and currency in self.rates:
                        total += sc.amount * self.rates[sc.currency] / self.rates[currency]
                    else:
                        self._remote[key] = None
                        return None
            self._remote[key] = _cents(total)
        return self._remote[key]

    def day(self, days: int) -> date:
        got = self._days.get(days)
        if got is None:
            got = self._days[days] = self.today + timedelta(days=days)
        return got


def _check(d: _Decision, s: _Service, areas, blocked: frozenset[str]) -> str:
    """Why the open, level-matching service cannot take the order, or "" (docs/routing.md order)."""
    if s.carrier_code in blocked:
        return "blocked by the merchant"
    if areas is not None and not any(a.contains(d.postcode) for a in areas):
        return f"does not serve postcode {d.postcode_as_given}"
    if d.heaviest > s.max_weight:
        return f"parcel of {d.heaviest} g exceeds the {s.max_weight} g limit"
    if d.longest > s.max_length:
        return f"side of {d.longest} mm exceeds the {s.max_length} mm limit"
    if s.max_value is not None or s.min_value is not None:
        value = d.value_in(s.value_currency)
        cur = s.value_currency
        if value is None:
            return f"no exchange rate for {d.value_currency if d.value_currency not in d.rates else cur}"
        if s.max_value is not None and value > s.max_value:
            return f"declared value {_money(value)} {cur} exceeds the {s.max_value} {cur} limit"
        if s.min_value is not None and value < s.min_value:
            return f"declared value {_money(value)} {cur} is under the {s.min_value} {cur} minimum"
    if d.contents and d.contents & s.refused:
        return f"does not accept {', '.join(sorted(d.contents & s.refused))}"
    return ""


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _price(d: _Decision, s: _Service, usage: dict, warehouse: WarehouseSpec | None) -> tuple | str:
    """What the service charges for the order, in integer cents: (quoted in the quote currency,
    total in its pricing currency, base, weight, fuel, remote area, handling, zone, billable grams,
    billed kg); or why it cannot take it (a rate card gap, a missing exchange rate, capacity)."""
    grams, kilos = d.billable(s.divisor)
    card = s.card
    if card is not None:
        zones = d._zones.get(s.carrier_code)
        if zones is None:
            zones = d.zones(s.carrier_code)
        for zone in zones:
            if zone in card:
                break
        else:
            return f"no rate card zone for {d.destination} {d.postcode_as_given}"
        bounds, prices, extra = card[zone]
        base = weight = 0
        last = bounds[-1]
        for g in grams:
            if g <= last:
                base += prices[bisect_left(bounds, g)]
            elif extra:
                base += prices[-1]
                weight += extra * -(-(g - last) // 1000)
            else:
                return f"rate card prices no parcel over {last} g to zone {zone}"
    else:
        zone = None
        base, weight = s.base_c * d.parcels, s.per_kg_c * kilos
    total = base + weight
    fuel = (total * s.fuel_bp + 5000) // 10000 if s.fuel_bp else 0
    if s.has_surcharges:
        remote = d.remote_cents(s.carrier_code, s.currency)
        if remote is None:
            return "no exchange rate for a remote-area surcharge"
        remote *= d.parcels
    else:
        remote = 0
    handling = 0
    if warehouse is not None:
        handling = _handling_cents(d, warehouse, s.currency)
        if handling is None:
            return f"no exchange rate for {warehouse.currency}"
    total += fuel + remote + handling
    factor = d._factors.get(s.currency) or d.factor(s.currency)
    if factor is None:
        return f"no exchange rate for {s.currency}"
    if s.capacity is not None:
        used = usage.get(s.key, 0)
        if used >= s.capacity:
            return f"at daily capacity ({used}/{s.capacity} today)"
    if s.currency == d.quote:
        quoted = total
    else:
        num, den = factor
        quoted = (2 * total * num + den) // (2 * den)  # cents, half up
    return (quoted, total, base, weight, fuel, remote, handling, zone, grams, kilos)


def _option(d: _Decision, s: _Service, warehouse: WarehouseSpec | None, delay: int, priced: tuple, score: float):
    """The RouteOption of a priced service, with its breakdown and delivery window."""
    quoted, total, base, weight, fuel, remote, handling, zone, grams, kilos = priced
    breakdown: dict = {"billed_kg": kilos}
    if grams is not d.weights:
        breakdown["billable_g"] = list(grams)  # volumetric weight counted
    if zone is not None:
        breakdown["zone"] = zone
    breakdown["base"], breakdown["weight"] = _fmt(base), _fmt(weight)
    if fuel:
        breakdown["fuel"] = _fmt(fuel)
    if remote:
        breakdown["remote_area"] = _fmt(remote)
    if warehouse is not None:
        breakdown["handling"] = _fmt(handling)
    breakdown["total"] = _fmt(total)
    converted = s.currency != d.quote
    if converted:
        breakdown["currency"] = s.currency
        breakdown["quote_currency"] = d.quote
        breakdown["quote_total"] = _fmt(quoted)
    return _new_option(
        {
            "carrier_code": s.carrier_code,
            "service_code": s.service_code,
            "service_level": s.level,
            "price": Decimal(quoted).scaleb(-2),
            "currency": d.quote,
            "transit_days_min": s.tmin + delay,
            "transit_days_max": s.tmax + delay,
            "breakdown": breakdown,
            "score": round(score, 4),
            "warehouse_code": warehouse.code if warehouse is not None else "",
            "delivery_earliest": d.day(s.tmin + delay),
            "delivery_latest": d.day(s.tmax + delay),
            "original_price": Decimal(total).scaleb(-2) if converted else None,
            "original_currency": s.currency if converted else "",
        }
    )


def _stocked_warehouses(
    cat: Catalogue,
    profile: ShipmentProfile,
    stock: tuple[WarehouseStock, ...],
    exclusions: list[Exclusion],
    used: dict[str, int],
) -> list[WarehouseSpec]:
    """Warehouses that hold every SKU of the order in quantity, ship to its destination and have
    not reached their daily capacity (`used`: orders accepted today per warehouse)."""
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
        elif w.daily_capacity is not None and used.get(w.code, 0) >= w.daily_capacity:
            reason = f"warehouse at daily capacity ({used.get(w.code, 0)}/{w.daily_capacity} today)"
            exclusions.append(Exclusion("", "", reason, w.code))
        else:
            out.append(w)
    return out


@functools.cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_day(at: datetime, time_zone: str) -> date:
    """The day `at` falls on where a carrier or warehouse works: the day its daily capacity counts
    an order accepted at `at`, and the day a decision at `at` reads the count of."""
    return at.astimezone(_zone(time_zone)).date()


def _after_cutoff(w: WarehouseSpec, now: datetime) -> bool:
    return now.astimezone(_zone(w.timezone)).time() >= w.cutoff


@dataclass(slots=True)
class _Segment:
    """Services of one lane that take the order, directly or from one warehouse: `positions`
    into `services` and what each charges in quote-currency cents; numpy arrays when `table`
    scanned them, lists when the reference rules decided them."""

    services: list
    positions: np.ndarray | list[int]
    quoted: np.ndarray | list[int]
    table: LaneTable | None
    warehouse: WarehouseSpec | None = None
    delay: int = 0

    def chosen(self) -> list:
        return [self.services[i] for i in self.positions]

    def columns(self, cat: Catalogue, strategy: str, prefs: MerchantPreferences, counters: Counters) -> tuple:
        """Quoted cents, latest and earliest day, (carrier, service) ordinal, warehouse rank (0:
        direct) and the strategy's leading key: the on-time rate, or whether the carrier is not
        preferred."""
        table, at, delay = self.table, self.positions, self.delay
        rank = cat.warehouse_rank[self.warehouse.code] if self.warehouse else 0
        if table is not None:
            if strategy == "on_time":
                lead = table.on_time_rates(counters.records, cat.priors, on_time_rate)[at]
            elif strategy == "preferred":
                others = np.array([c not in prefs.preferred_carriers for c in table.carriers], bool)
                lead = others[table.carrier_idx[at]]
            else:
                lead = np.zeros(at.size, bool)
            days = (table.tmax[at] + delay, table.tmin[at] + delay)
            return self.quoted, *days, table.ordinal[at], np.full(at.size, rank), lead
        chosen = self.chosen()
        if strategy == "on_time":
            lead = [_rate(cat, counters, s.key) for s in chosen]
        elif strategy == "preferred":
            lead = [s.carrier_code not in prefs.preferred_carriers for s in chosen]
        else:
            lead = [False] * len(chosen)
        return (
            self.quoted,
            [s.tmax + delay for s in chosen],
            [s.tmin + delay for s in chosen],
            [s.ordinal for s in chosen],
            [rank] * len(chosen),
            lead,
        )


def _scan(
    d: _Decision,
    table: LaneTable | None,
    areas_of: tuple,
    *,
    blocked: frozenset[str],
    usage: dict,
    warehouse: WarehouseSpec | None = None,
    delay: int = 0,
) -> list[_Segment]:
    """The lane's eligible services: the table's columns, and by the reference rules the services
    the columns leave to them."""
    if table is None:
        return []
    carriers = warehouse.carriers if warehouse is not None else None
    handling = (lambda currency: _handling_cents(d, warehouse, currency)) if warehouse is not None else None
    positions, quoted = table.scan(d, blocked=blocked, usage=usage, carriers=carriers, handling=handling)
    found = [_Segment(table.services, positions, quoted, table, warehouse, delay)]
    if table.by_reference:
        chosen, prices = [], []
        for i, s in enumerate(table.by_reference):
            if carriers is not None and s.carrier_code not in carriers:
                continue
            got = _check(d, s, s.lanes[areas_of], blocked) or _price(d, s, usage, warehouse)
            if got.__class__ is not str:
                chosen.append(i)
                prices.append(got[0])
        found.append(_Segment(table.by_reference, chosen, prices, None, warehouse, delay))
    return found


def _lane_key(lane: tuple[str, str], level: str) -> tuple:
    """The key of `Catalogue.by_lane` and `tables`: the lane, with the level when one is asked."""
    return (*lane, level) if level else lane


def _handling_cents(d: _Decision, warehouse: WarehouseSpec, currency: str) -> int | None:
    rates = d.rates
    if warehouse.currency not in rates or currency not in rates:
        return None
    return _cents(warehouse.handling_fee * rates[warehouse.currency] / rates[currency])


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
    """Every eligible option ranked by the strategy. Services are checked, priced and ranked as
    columns (lanes.py); an option (breakdown, delivery window, Decimal prices) is built by the
    reference rules when first read, and the exclusions, each with its reason, are worked out when
    first read: intake reads one option and no exclusion, the quote page reads them all."""
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; choose one of {', '.join(STRATEGIES)}")
    prefs = preferences or NO_PREFERENCES
    blocked, usage = prefs.blocked_carriers, counters.usage
    d = _Decision(cat, profile, now.date())
    lane = (profile.origin_country, profile.destination_country)
    found = _scan(d, cat.tables.get(_lane_key(lane, d.level)), lane, blocked=blocked, usage=usage)
    warehouse_exclusions: list[Exclusion] = []
    stocked = _stocked_warehouses(cat, profile, stock, warehouse_exclusions, counters.warehouse_usage)
    for w in stocked:
        w_lane = (w.country, profile.destination_country)
        table = cat.tables.get(_lane_key(w_lane, d.level))
        delay = 1 if _after_cutoff(w, now) else 0
        found += _scan(d, table, w_lane, blocked=blocked, usage=usage, warehouse=w, delay=delay)
    found = [segment for segment in found if len(segment.positions)]
    build = _Ranking(d, cat, found, strategy, prefs, counters)

    def explain() -> list[Exclusion]:
        # Every service in (carrier, service) order with the first rule it fails, then warehouses.
        offered = {
            (segment.services[i].key, segment.warehouse.code if segment.warehouse else "")
            for segment in found
            for i in segment.positions
        }
        out = []
        off_lane = f"does not serve {lane[0]}→{lane[1]}"
        for spec in cat.services:
            if (spec.key, "") in offered:
                continue
            why = _static_reason(spec)
            if not why and d.level and spec.level != d.level:
                why = f"service level is {spec.level}, not {d.level}"
            if not why and lane not in spec.lanes:
                why = off_lane
            if not why:
                s = cat.compiled[spec.key]
                why = _check(d, s, s.lanes[lane], blocked) or _price(d, s, usage, None)
            out.append(Exclusion(spec.carrier_code, spec.service_code, why))
        out += warehouse_exclusions
        for w in stocked:
            w_lane = (w.country, profile.destination_country)
            for s in cat.by_lane.get(_lane_key(w_lane, d.level), ()):
                if s.carrier_code in w.carriers and (s.key, w.code) not in offered:
                    why = _check(d, s, s.lanes[w_lane], blocked) or _price(d, s, usage, w)
                    out.append(Exclusion(s.carrier_code, s.service_code, why, w.code))
        return out

    return RoutingResult(options=RankedOptions(build.count, build), strategy=strategy, explain=explain)


class _Ranking:
    """The eligible services of every segment ranked best first by the strategy, on integer
    prices and days, then (carrier, service) and warehouse, so the order never ties: numpy's
    lexsort over scanned lanes, a plain sort when the reference rules decided every candidate
    (a few services: numpy's fixed cost would be most of the decision). Called with a rank, it
    builds that option by the reference rules."""

    def __init__(self, d: _Decision, cat: Catalogue, found: list, strategy: str, prefs, counters: Counters):
        self.d, self.found, self.strategy, self.usage = d, found, strategy, counters.usage
        sizes = [len(segment.positions) for segment in found]
        self.count = sum(sizes)
        if not self.count:
            return
        self.offsets = list(accumulate(sizes, initial=0))
        parts = [segment.columns(cat, strategy, prefs, counters) for segment in found]
        columnar = any(segment.table is not None for segment in found)
        join = np.concatenate if columnar else lambda lists: list(chain.from_iterable(lists))
        quoted, tmax, tmin, ordinal, warehouse, lead = (join(column) for column in zip(*parts, strict=True))
        # Sort keys, the least significant first (numpy's lexsort order).
        tie = (warehouse, ordinal)
        if strategy == "fastest":
            keys = (*tie, quoted, tmin, tmax)
        elif strategy == "on_time":
            keys = (*tie, tmax, quoted, -lead if columnar else [-rate for rate in lead])  # best record first
        elif strategy == "preferred":
            keys = (*tie, tmax, quoted, lead)  # lead: not a preferred carrier
        else:
            keys = (*tie, tmax, quoted)
        if columnar:
            self.order = np.lexsort(keys)
        else:
            self.order = sorted(range(self.count), key=lambda j: tuple(key[j] for key in reversed(keys)))
        self.quoted, self.tmax, self.lead = quoted, tmax, lead
        if columnar:
            self.cheapest, self.fastest = int(quoted.min()), int(tmax.min())
        else:
            self.cheapest, self.fastest = min(quoted), min(tmax)

    def score(self, j: int) -> float:
        quoted = int(self.quoted[j])
        cheap = self.cheapest / quoted if quoted else 1.0
        if self.strategy == "fastest":
            tmax = int(self.tmax[j])
            return self.fastest / tmax if tmax else 1.0
        if self.strategy == "on_time":
            return float(self.lead[j])
        if self.strategy == "preferred":
            return (0.0 if self.lead[j] else 1.0) + cheap
        return cheap

    def __call__(self, rank: int) -> RouteOption:
        j = int(self.order[rank])
        k = bisect_right(self.offsets, j) - 1
        segment = self.found[k]
        s = segment.services[int(segment.positions[j - self.offsets[k]])]
        return _option(
            self.d, s, segment.warehouse, segment.delay, _price(self.d, s, self.usage, segment.warehouse), self.score(j)
        )


def _rate(cat: Catalogue, counters: Counters, key: tuple[str, str]) -> float:
    on_time, delivered = counters.records.get(key, (0, 0))
    return on_time_rate(on_time=on_time, delivered=delivered, prior=cat.priors[key])
