from django.contrib.postgres.fields import ArrayField
from django.db import models


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
    postcode_prefixes = ArrayField(models.CharField(max_length=10), default=list, blank=True)

    class Meta:
        indexes = [models.Index(fields=["origin_country", "destination_country"], name="coverage_lane")]

    def __str__(self) -> str:
        return f"{self.service}: {self.origin_country}→{self.destination_country}"


class Warehouse(models.Model):
    code = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=200)
    country = models.CharField(max_length=2)
    city = models.CharField(max_length=100)
    ships_to = ArrayField(models.CharField(max_length=2), default=list, blank=True)
    carriers = models.ManyToManyField(Carrier, blank=True, related_name="warehouses")
    endpoint_url = models.URLField(max_length=300)
    handling_fee = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    currency = models.CharField(max_length=3, default="USD")
    is_active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"
