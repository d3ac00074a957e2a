"""The catalogue compiled for the hot path: each open service with its money in integer cents,
indexed by lane and by lane and level in (carrier, service) order, and each lane of at least
`columns_from` services laid out as numpy columns (lanes.py)."""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from apps.resources.routing.lanes import COLUMNS_FROM, LaneTable, content_bits
from apps.resources.routing.specs import ServiceSpec, SurchargeSpec, WarehouseSpec, ZoneSpec
from apps.resources.types import MerchantPreferences, Reason

CENT = Decimal("0.01")


class Service:
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
                zone: (list(z.bounds), [cents(p) for p in z.prices], cents(z.extra_per_kg))
                for zone, z in s.card.items()
            }
        else:
            self.currency, self.card = s.currency, None
        self.base_c, self.per_kg_c = cents(s.base_price), cents(s.price_per_kg)
        # None: the whole destination country is served on that lane.
        self.lanes = {
            lane: None if any(a.whole_country for a in areas) else tuple(areas) for lane, areas in s.lanes.items()
        }


def cents(amount: Decimal) -> int:
    return int(amount.quantize(CENT, rounding=ROUND_HALF_UP) * 100)


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
    by_lane: dict[tuple, list[Service]] = field(default_factory=dict)
    priors: dict[tuple[str, str], float] = field(default_factory=dict)
    # The same lanes as numpy columns (lanes.py), and the compiled service of each open one.
    tables: dict[tuple, LaneTable] = field(default_factory=dict)
    warehouse_rank: dict[str, int] = field(default_factory=dict)  # 1, 2, ... in code order; direct is 0
    factors: dict[tuple[str, str], tuple[int, int] | None] = field(default_factory=dict)  # see rules.Decision.factor
    compiled: dict[tuple[str, str], Service] = field(default_factory=dict)


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
    by_lane: dict[tuple, list[Service]] = {}
    compiled_services = {}
    for ordinal, s in enumerate(services):
        if static_reason(s):
            continue
        compiled = compiled_services[s.key] = Service(
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


def static_reason(s: ServiceSpec) -> str:
    if s.carrier_status != "active":
        return Reason("carrier_status", "carrier is {status}", status=s.carrier_status)
    if not s.is_active:
        return Reason("service_inactive", "service is inactive")
    return ""
