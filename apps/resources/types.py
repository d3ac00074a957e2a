"""What the resource center answers with: plain values, no model instances."""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

STRATEGIES = ("cheapest", "fastest", "on_time", "preferred")
CONTENTS = ("batteries", "liquids", "aerosols", "magnets", "food", "prohibited")


class Reason(str):
    """Why a service or warehouse cannot take an order: the English sentence (what the API,
    logs and operations read, and what compares equal), with a `code` and the `values` it names,
    so that the portal says it in the merchant's language (`apps.resources.words.reason_text`).
    The routing engine makes them without Django."""

    code: str
    values: dict

    def __new__(cls, code: str, english: str, **values):
        return cls._made(english.format(**values), code, values)

    @classmethod
    def _made(cls, text: str, code: str, values: dict) -> "Reason":
        reason = str.__new__(cls, text)
        reason.code, reason.values = code, values
        return reason

    def __reduce__(self):
        return (Reason._made, (str(self), self.code, self.values))


@dataclass(frozen=True)
class ParcelDims:
    """One parcel's outer size in millimetres."""

    length_mm: int
    width_mm: int
    height_mm: int


@dataclass(frozen=True)
class ShipmentProfile:
    """What routing needs to know about an order.

    `parcel_dims` (one per parcel, same order as `parcel_weights_g`) feed volumetric weight; left
    empty, parcels bill their actual weight. `declared_value` is the goods' value in
    `declared_currency`; `contents` are categories from `CONTENTS` (see docs/routing.md).
    """

    origin_country: str
    destination_country: str
    destination_postcode: str
    parcel_weights_g: tuple[int, ...]
    longest_side_mm: int
    service_level: str = ""
    parcel_dims: tuple[ParcelDims, ...] = ()
    declared_value: Decimal = Decimal("0")
    declared_currency: str = "USD"
    contents: frozenset[str] = frozenset()
    skus: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class MerchantPreferences:
    preferred_carriers: frozenset[str] = frozenset()
    blocked_carriers: frozenset[str] = frozenset()
    default_strategy: str = "cheapest"


@dataclass(frozen=True)
class LineHaulInfo:
    """A line haul as the fulfilment center plans with it (resources.models.LineHaul)."""

    code: str
    hub_address: dict[str, str]  # where the first mile delivers, in the shipment's party fields
    destination_hub: str
    departure_weekdays: tuple[int, ...]
    cutoff_time: time
    timezone: str
    transit_days: int
    last_mile_carrier_code: str
    last_mile_service_code: str

    def next_departure(self, now: datetime) -> date:
        """The day of the first container that still takes a parcel arriving at the hub `now`:
        today if it departs today and its cut-off has not passed (in the hub's time zone), else the
        next departure day. A line haul without departure days leaves every day."""
        local = now.astimezone(ZoneInfo(self.timezone))
        days = self.departure_weekdays or tuple(range(7))
        for ahead in range(8):
            day = local.date() + timedelta(days=ahead)
            if day.weekday() in days and (ahead > 0 or local.time() < self.cutoff_time):
                return day
        raise AssertionError("a week always holds a departure day")

    def closes_at(self, departs_on: date) -> datetime:
        """When the container of `departs_on` closes: its cut-off, in the hub's time zone."""
        return datetime.combine(departs_on, self.cutoff_time, tzinfo=ZoneInfo(self.timezone))


@dataclass(frozen=True)
class WarehouseStock:
    """Stock of one SKU in one warehouse, as the warehouse center knows it."""

    warehouse_code: str
    sku: str
    quantity: int


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
    original_price: Decimal | None = None
    original_currency: str = ""


@dataclass(frozen=True, slots=True)
class Exclusion:
    carrier_code: str
    service_code: str
    reason: str
    warehouse_code: str = ""


class RankedOptions(Sequence):
    """Route options, best first, each built by `build(index)` when first read and kept: ranking
    needs only integers, and most callers read the first option of hundreds."""

    __slots__ = ("_build", "_built")

    def __init__(self, count: int, build: Callable[[int], RouteOption]):
        self._built: list[RouteOption | None] = [None] * count
        self._build = build

    def __len__(self) -> int:
        return len(self._built)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return tuple(self[i] for i in range(*index.indices(len(self._built))))
        option = self._built[index]  # IndexError past the end, as a tuple
        if option is None:
            option = self._built[index] = self._build(index % len(self._built))
        return option

    def __eq__(self, other: object) -> bool:
        if isinstance(other, RankedOptions | tuple | list):
            return tuple(self) == tuple(other)
        return NotImplemented

    __hash__ = None

    def __repr__(self) -> str:
        return f"RankedOptions({tuple(self)!r})"


class RoutingResult:
    """`options` ranked best first by `strategy`; `exclusions`, every service not offered with the
    first rule it fails, in (carrier, service) order, then warehouses not offered. Routing hands
    an `explain` function instead of the exclusions: they are worked out on first read, so that
    the many callers that only take an option do not pay for listing thousands of services."""

    __slots__ = ("_exclusions", "_explain", "options", "strategy")

    def __init__(
        self,
        options: Sequence[RouteOption],
        exclusions: tuple[Exclusion, ...] = (),
        strategy: str = "cheapest",
        *,
        explain: Callable[[], Iterable[Exclusion]] | None = None,
    ):
        self.options = options if isinstance(options, RankedOptions) else tuple(options)
        self.strategy = strategy
        self._exclusions = None if explain is not None else tuple(exclusions)
        self._explain = explain

    @property
    def exclusions(self) -> tuple[Exclusion, ...]:
        if self._exclusions is None:
            self._exclusions = tuple(self._explain())
            self._explain = None
        return self._exclusions

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RoutingResult):
            return NotImplemented
        return (tuple(self.options), self.exclusions, self.strategy) == (
            tuple(other.options),
            other.exclusions,
            other.strategy,
        )

    __hash__ = None

    def __repr__(self) -> str:
        return (
            f"RoutingResult(options={tuple(self.options)!r}, exclusions=<{len(self.exclusions)}>, "
            f"strategy={self.strategy!r})"
        )


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
