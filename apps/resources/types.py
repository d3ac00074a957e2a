"""What the resource center answers with: plain values, no model instances."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

STRATEGIES = ("cheapest", "fastest", "on_time", "preferred")


@dataclass(frozen=True)
class ShipmentProfile:
    """What routing needs to know about an order."""

    origin_country: str
    destination_country: str
    destination_postcode: str
    parcel_weights_g: tuple[int, ...]
    longest_side_mm: int
    service_level: str = ""


@dataclass(frozen=True)
class RouteOption:
    carrier_code: str
    service_code: str
    service_level: str
    price: Decimal
    currency: str
    transit_days_min: int
    transit_days_max: int
    breakdown: dict = field(default_factory=dict)
    score: float = 0.0
    warehouse_code: str = ""
    delivery_earliest: date | None = None
    delivery_latest: date | None = None


@dataclass(frozen=True)
class Exclusion:
    carrier_code: str
    service_code: str
    reason: str


@dataclass(frozen=True)
class RoutingResult:
    options: tuple[RouteOption, ...]
    exclusions: tuple[Exclusion, ...]
    strategy: str = "cheapest"


@dataclass(frozen=True)
class CarrierInfo:
    code: str
    name: str
    gateway_kind: str
    endpoint_url: str
    api_key: str
    status: str
    requests_per_second: int
    max_concurrent_calls: int
