import datetime
from decimal import Decimal
from zoneinfo import available_timezones

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models

# What a parcel may hold that some services refuse (order_quote derives them from HS codes).
CONTENT_CATEGORIES = [
    ("batteries", "Lithium batteries"),
    ("liquids", "Liquids"),
    ("aerosols", "Aerosols"),
    ("magnets", "Magnets"),
    ("food", "Food"),
    ("prohibited", "Prohibited goods"),
]


def _postcode_list():
    return ArrayField(
        models.CharField(max_length=10),
        default=list,
        blank=True,
        help_text="Postcode prefixes (e.g. 10, SW1A); empty means the whole country.",
    )


def validate_postcode_range(value: str) -> None:
    low, sep, high = value.replace(" ", "").upper().partition("-")
    if not sep or not low or len(low) != len(high) or low > high:
        raise ValidationError(f"{value!r} is no range FROM-TO with ends of equal length, FROM ≤ TO.")


def _range_list():
    return ArrayField(
        models.CharField(max_length=23, validators=[validate_postcode_range]),
        default=list,
        blank=True,
        help_text="Postcode ranges FROM-TO with ends of equal length (e.g. 10000-14999).",
    )


def validate_time_zone(value: str) -> None:
    if value not in available_timezones():
        raise ValidationError(f"{value!r} is not a time zone name (IANA, e.g. Europe/Berlin).", code="time_zone")


class Carrier(models.Model):
    class GatewayKind(models.TextChoices):
        SANDBOX = "sandbox", "Sandbox carrier (HTTP simulator)"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"
        MAINTENANCE = "maintenance", "Maintenance"

    code = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=200)
    gateway_kind = models.CharField(max_length=20, choices=GatewayKind.choices, default=GatewayKind.SANDBOX)
    endpoint_url = models.URLField(max_length=300)
    api_key = models.CharField(max_length=200, blank=True, help_text="Credential sent to the carrier.")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    requests_per_second = models.PositiveIntegerField(default=20)
    max_concurrent_calls = models.PositiveIntegerField(default=10)
    timezone = models.CharField(
        max_length=50,
        default="UTC",
        validators=[validate_time_zone],
        help_text="Its working day: daily capacity counts orders per day in this time zone.",
    )

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


def _weekdays() -> list[int]:
    return [0, 1, 2, 3, 4]


class LineHaul(models.Model):
    """A consolidated trunk route. Parcels of its services go by first mile to the origin hub,
    cross in one container per departure day to the destination hub, and a destination carrier
    delivers each one (last mile, with its own tracking number)."""

    code = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=200)
    hub_name = models.CharField(max_length=100, help_text="The origin hub, where the first mile delivers.")
    hub_line1 = models.CharField(max_length=200)
    hub_city = models.CharField(max_length=100)
    hub_postal_code = models.CharField(max_length=20)
    hub_country = models.CharField(max_length=2)
    destination_hub = models.CharField(max_length=200)
    departure_weekdays = ArrayField(
        models.PositiveSmallIntegerField(), default=list, help_text="Days a container leaves: 0 is Monday, 6 Sunday."
    )
    cutoff_time = models.TimeField(
        default=datetime.time(18, 0), help_text="A container closes at this time of its departure day."
    )
    timezone = models.CharField(max_length=50, default="UTC", validators=[validate_time_zone])
    transit_days = models.PositiveSmallIntegerField(help_text="Hub to hub.")
    last_mile_carrier = models.ForeignKey("Carrier", on_delete=models.PROTECT, related_name="last_mile_line_hauls")
    last_mile_service_code = models.SlugField(max_length=50)

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class CarrierService(models.Model):
    class Level(models.TextChoices):
        EXPRESS = "express", "Express"
        STANDARD = "standard", "Standard"
        ECONOMY = "economy", "Economy"

    carrier = models.ForeignKey(Carrier, on_delete=models.CASCADE, related_name="services")
    code = models.SlugField(max_length=50)
    name = models.CharField(max_length=200)
    level = models.CharField(max_length=20, choices=Level.choices)
    transit_days_min = models.PositiveSmallIntegerField()
    transit_days_max = models.PositiveSmallIntegerField()
    max_weight_g = models.PositiveIntegerField()
    max_length_mm = models.PositiveIntegerField(default=1200)
    base_price = models.DecimalField(max_digits=10, decimal_places=2)
    price_per_kg = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3, default="USD")
    is_active = models.BooleanField(default=True)
    volumetric_divisor = models.PositiveIntegerField(
        default=5000, help_text="cm³ per kg: a parcel bills max(actual, LxWxH in cm / divisor) kg."
    )
    fuel_surcharge_pct = models.DecimalField(
        max_digits=5, decimal_places=2, default=Decimal("0"), help_text="Percent of the base (weight) price."
    )
    min_declared_value = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    max_declared_value = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True, help_text="In the service's currency."
    )
    refused_contents = ArrayField(models.CharField(max_length=20, choices=CONTENT_CATEGORIES), default=list, blank=True)
    daily_capacity = models.PositiveIntegerField(null=True, blank=True, help_text="Orders per day; empty: no limit.")
    on_time_prior = models.DecimalField(
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.900"),
        help_text="Staff's estimate of the on-time rate, weighed as 20 deliveries against the record.",
    )
    line_haul = models.ForeignKey(
        LineHaul,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="services",
        help_text="Set: this service is the first mile of a line haul (first mile, container, last mile).",
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["carrier", "code"], name="service_code_per_carrier")]

    def __str__(self) -> str:
        return f"{self.carrier.code}/{self.code}"


class Coverage(models.Model):
    """Where a service goes: from one origin country to one destination country, optionally only
    to postcodes with given prefixes (regional carriers)."""

    service = models.ForeignKey(CarrierService, on_delete=models.CASCADE, related_name="coverage")
    origin_country = models.CharField(max_length=2)
    destination_country = models.CharField(max_length=2)
    postcode_prefixes = _postcode_list()
    postcode_ranges = _range_list()

    class Meta:
        indexes = [models.Index(fields=["origin_country", "destination_country"], name="coverage_lane")]

    def __str__(self) -> str:
        return f"{self.service}: {self.origin_country}→{self.destination_country}"


class Warehouse(models.Model):
    code = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=200)
    country = models.CharField(max_length=2)
    city = models.CharField(max_length=100)
    # Its street address: the sender's on every carrier booking made from it (ship_from).
    line1 = models.CharField("street", max_length=200, blank=True)
    line2 = models.CharField("street (more)", max_length=200, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    state = models.CharField("state or province", max_length=100, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(max_length=254, blank=True)
    ships_to = ArrayField(models.CharField(max_length=2), default=list, blank=True)
    carriers = models.ManyToManyField(Carrier, blank=True, related_name="warehouses")
    endpoint_url = models.URLField(max_length=300)
    handling_fee = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    currency = models.CharField(max_length=3, default="USD")
    is_active = models.BooleanField(default=True)
    cutoff_time = models.TimeField(default=datetime.time(15, 0), help_text="Orders after it leave a day later.")
    timezone = models.CharField(max_length=50, default="UTC", validators=[validate_time_zone])
    daily_capacity = models.PositiveIntegerField(null=True, blank=True)
    working_weekdays = ArrayField(
        models.PositiveSmallIntegerField(),
        default=_weekdays,
        blank=True,
        help_text="Days the warehouse ships: 0 is Monday, 6 Sunday.",
    )
    holidays = ArrayField(models.DateField(), default=list, blank=True, help_text="Days it does not ship.")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Zone(models.Model):
    """A carrier's named set of destinations for pricing."""

    carrier = models.ForeignKey(Carrier, on_delete=models.CASCADE, related_name="zones")
    code = models.SlugField(max_length=50)
    name = models.CharField(max_length=200, blank=True)
    countries = ArrayField(models.CharField(max_length=2), default=list)
    postcode_prefixes = _postcode_list()
    postcode_ranges = _range_list()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["carrier", "code"], name="zone_code_per_carrier")]

    def __str__(self) -> str:
        return f"{self.carrier.code}/{self.code}"


class RateCard(models.Model):
    """A service's prices: per zone, weight breaks (up to N g → price), and per started kg above the
    last break. A service without a card is priced base_price + price_per_kg x started kg."""

    service = models.OneToOneField(CarrierService, on_delete=models.CASCADE, related_name="rate_card")
    currency = models.CharField(max_length=3, default="USD")

    def __str__(self) -> str:
        return f"rate card {self.service}"


class RateBreak(models.Model):
    card = models.ForeignKey(RateCard, on_delete=models.CASCADE, related_name="breaks")
    zone = models.ForeignKey(Zone, on_delete=models.CASCADE, related_name="breaks")
    up_to_g = models.PositiveIntegerField()
    price = models.DecimalField(max_digits=10, decimal_places=2)
    extra_per_kg = models.DecimalField(
        max_digits=10, decimal_places=2, default=Decimal("0"), help_text="Per started kg above the zone's last break."
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["card", "zone", "up_to_g"], name="one_price_per_break")]
        ordering = ["zone__code", "up_to_g"]

    def __str__(self) -> str:
        return f"up to {self.up_to_g} g: {self.price}"


class Surcharge(models.Model):
    """A flat amount per parcel for deliveries to a carrier's remote areas."""

    carrier = models.ForeignKey(Carrier, on_delete=models.CASCADE, related_name="surcharges")
    name = models.CharField(max_length=100, default="remote area")
    country = models.CharField(max_length=2)
    postcode_prefixes = _postcode_list()
    postcode_ranges = _range_list()
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3, default="USD")

    def __str__(self) -> str:
        return f"{self.carrier.code}: {self.name} {self.country}"


class ExchangeRate(models.Model):
    """How many US dollars one unit of the currency buys."""

    currency = models.CharField(max_length=3, unique=True)
    usd_per_unit = models.DecimalField(max_digits=18, decimal_places=8)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"1 {self.currency} = {self.usd_per_unit} USD"


class MerchantRoutingPreference(models.Model):
    merchant_id = models.BigIntegerField(unique=True)
    preferred_carriers = ArrayField(models.SlugField(max_length=50), default=list, blank=True)
    blocked_carriers = ArrayField(models.SlugField(max_length=50), default=list, blank=True)
    default_strategy = models.CharField(
        max_length=20,
        default="cheapest",
        choices=[(s, s) for s in ("cheapest", "fastest", "on_time", "preferred")],
    )

    def __str__(self) -> str:
        return f"routing preferences of merchant {self.merchant_id}"


class ServiceDailyUsage(models.Model):
    """Orders accepted per service and day, counted from `orders.order.accepted` events."""

    carrier_code = models.CharField(max_length=50)
    service_code = models.CharField(max_length=50)
    day = models.DateField()
    orders = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["carrier_code", "service_code", "day"], name="one_usage_row_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.carrier_code}/{self.service_code} {self.day}: {self.orders}"


class WarehouseDailyUsage(models.Model):
    """Orders accepted per warehouse and day, counted from `orders.order.accepted` events."""

    warehouse_code = models.CharField(max_length=50)
    day = models.DateField()
    orders = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["warehouse_code", "day"], name="one_warehouse_usage_row_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.warehouse_code} {self.day}: {self.orders}"


class ServiceRecord(models.Model):
    """Deliveries per service and how many came by the promised date, counted from
    `distribution.order.delivered` events (kept apart from the service: counting must not
    invalidate the compiled catalogue)."""

    carrier_code = models.CharField(max_length=50)
    service_code = models.CharField(max_length=50)
    delivered = models.PositiveIntegerField(default=0)
    on_time = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["carrier_code", "service_code"], name="one_record_per_service")]

    def __str__(self) -> str:
        return f"{self.carrier_code}/{self.service_code}: {self.on_time}/{self.delivered} on time"


class DeliveryPromise(models.Model):
    """The latest delivery date promised at acceptance, kept until the order is delivered."""

    order_id = models.BigIntegerField(primary_key=True)
    carrier_code = models.CharField(max_length=50)
    service_code = models.CharField(max_length=50)
    promised_by = models.DateField()

    def __str__(self) -> str:
        return f"order {self.order_id} by {self.promised_by}"


class CatalogueVersion(models.Model):
    """One row whose `version` PostgreSQL triggers set from a sequence on every write to a catalogue
    table (migration 0003): routing rebuilds its in-process catalogue when it changes. Values come
    from a sequence so that a rolled-back write never brings back a version already seen."""

    version = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"catalogue version {self.version}"
