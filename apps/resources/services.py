"""Writes of the resource center (the admin writes through Django's forms)."""

from datetime import date, timedelta
from decimal import Decimal

from django.db import connection, transaction

from apps.resources.models import Carrier, CarrierService, Coverage, DeliveryPromise, Warehouse


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


def service_usage_count(*, carrier_code: str, service_code: str, day: date, orders: int = 1) -> None:
    """Add accepted orders to a service's count for the day (one upsert, no lock held past it)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO resources_servicedailyusage (carrier_code, service_code, day, orders)
            VALUES (%s, %s, %s, %s)
            ON CONFLICT (carrier_code, service_code, day)
            DO UPDATE SET orders = resources_servicedailyusage.orders + EXCLUDED.orders
            """,
            [carrier_code, service_code, day, orders],
        )


def delivery_promise_record(*, order_id: int, carrier_code: str, service_code: str, accepted_on: date) -> None:
    """Remember the latest delivery date the routed service promised (accepted + transit_days_max)."""
    service = (
        CarrierService.objects.filter(carrier__code=carrier_code, code=service_code)
        .values_list("transit_days_max", flat=True)
        .first()
    )
    if service is None:
        return
    DeliveryPromise.objects.update_or_create(
        order_id=order_id,
        defaults={
            "carrier_code": carrier_code,
            "service_code": service_code,
            "promised_by": accepted_on + timedelta(days=service),
        },
    )


@transaction.atomic
def delivery_record(*, order_id: int, carrier_code: str, service_code: str, delivered_on: date) -> bool | None:
    """Count a delivery in the service's record, on time if by the promised date; None when no
    promise was kept for the order (accepted before records began)."""
    promise = DeliveryPromise.objects.filter(order_id=order_id).first()
    if promise is None:
        return None
    on_time = delivered_on <= promise.promised_by
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO resources_servicerecord (carrier_code, service_code, delivered, on_time)
            VALUES (%s, %s, 1, %s)
            ON CONFLICT (carrier_code, service_code)
            DO UPDATE SET delivered = resources_servicerecord.delivered + 1,
                          on_time = resources_servicerecord.on_time + EXCLUDED.on_time
            """,
            [carrier_code, service_code, int(on_time)],
        )
    promise.delete()
    return on_time
