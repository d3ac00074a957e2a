"""What a catalogue is made of, as plain data that `compile_catalogue` takes (built from the
database's rows by `catalogue.py`, or in memory by a benchmark or a property test), and the
counters a decision reads beside it; the day and the cut-off where a carrier or warehouse works."""

import functools
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo


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


@functools.cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_day(at: datetime, time_zone: str) -> date:
    """The day `at` falls on where a carrier or warehouse works: the day its daily capacity counts
    an order accepted at `at`, and the day a decision at `at` reads the count of."""
    return at.astimezone(_zone(time_zone)).date()


def after_cutoff(w: WarehouseSpec, now: datetime) -> bool:
    return now.astimezone(_zone(w.timezone)).time() >= w.cutoff
