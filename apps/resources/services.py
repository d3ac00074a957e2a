"""Writes of the resource center (the admin writes through Django's forms)."""

from decimal import Decimal

from django.db import transaction

from apps.resources.models import Carrier, CarrierService, Coverage, Warehouse


@transaction.atomic
def carrier_upsert(
    *,
    code: str,
    name: str,
    endpoint_url: str,
    gateway_kind: str = "sandbox",
    api_key: str = "",
    requests_per_second: int = 20,
    max_concurrent_calls: int = 10,
) -> Carrier:
    carrier, _ = Carrier.objects.update_or_create(
        code=code,
        defaults={
            "name": name,
            "endpoint_url": endpoint_url,
            "gateway_kind": gateway_kind,
            "api_key": api_key,
            "requests_per_second": requests_per_second,
            "max_concurrent_calls": max_concurrent_calls,
        },
    )
    return carrier


@transaction.atomic
def service_upsert(
    *,
    carrier: Carrier,
    code: str,
    name: str,
    level: str,
    transit_days: tuple[int, int],
    max_weight_g: int,
    base_price: Decimal,
    price_per_kg: Decimal,
    currency: str,
    lanes: list[tuple[str, str, list[str]]],
) -> CarrierService:
    """Create or update a service with exactly the given coverage lanes (origin, destination, postcode prefixes)."""
    service, _ = CarrierService.objects.update_or_create(
        carrier=carrier,
        code=code,
        defaults={
            "name": name,
            "level": level,
            "transit_days_min": transit_days[0],
            "transit_days_max": transit_days[1],
            "max_weight_g": max_weight_g,
            "base_price": base_price,
            "price_per_kg": price_per_kg,
            "currency": currency,
        },
    )
    service.coverage.all().delete()
    Coverage.objects.bulk_create(
        Coverage(service=service, origin_country=o, destination_country=d, postcode_prefixes=p) for o, d, p in lanes
    )
    return service


@transaction.atomic
def warehouse_upsert(
    *,
    code: str,
    name: str,
    country: str,
    city: str,
    ships_to: list[str],
    endpoint_url: str,
    handling_fee: Decimal,
    currency: str,
    carrier_codes: list[str],
) -> Warehouse:
    warehouse, _ = Warehouse.objects.update_or_create(
        code=code,
        defaults={
            "name": name,
            "country": country,
            "city": city,
            "ships_to": ships_to,
            "endpoint_url": endpoint_url,
            "handling_fee": handling_fee,
            "currency": currency,
        },
    )
    warehouse.carriers.set(Carrier.objects.filter(code__in=carrier_codes))
    return warehouse
