"""Writes of the resource center (the admin writes through Django's forms)."""

import csv
import io
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from django.db import connection, transaction

from apps.common.text import FORMULA_STARTS
from apps.resources.exceptions import RateCardInvalid
from apps.resources.models import (
    Carrier,
    CarrierService,
    Coverage,
    DeliveryPromise,
    LineHaul,
    MerchantRoutingPreference,
    RateBreak,
    RateCard,
    ServiceDailyUsage,
    Surcharge,
    Warehouse,
    WarehouseDailyUsage,
    Zone,
)
from apps.resources.routing import local_day
from apps.resources.selectors import RATE_CARD_COLUMNS


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
def line_haul_upsert(
    *, code: str, last_mile_carrier_code: str, first_mile: list[tuple[str, str]], **fields
) -> LineHaul:
    """Create or update a line haul and make the given (carrier, service) pairs its first mile."""
    last_mile = Carrier.objects.get(code=last_mile_carrier_code)
    haul, _ = LineHaul.objects.update_or_create(code=code, defaults={**fields, "last_mile_carrier": last_mile})
    for carrier_code, service_code in first_mile:
        CarrierService.objects.filter(carrier__code=carrier_code, code=service_code).update(line_haul=haul)
    return haul


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
    **limits,
) -> CarrierService:
    """Create or update a service with exactly the given coverage lanes (origin, destination, postcode
    prefixes). `limits` sets further fields (volumetric_divisor, fuel_surcharge_pct, daily_capacity,
    max_declared_value, refused_contents, ...)."""
    service, _ = CarrierService.objects.update_or_create(
        carrier=carrier,
        code=code,
        defaults={
            **limits,
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


WAREHOUSE_ADDRESS_FIELDS = ("line1", "line2", "postal_code", "state", "phone", "email")


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
    time_zone: str | None = None,
    cutoff_time: time | None = None,
    address: dict[str, str] | None = None,
) -> Warehouse:
    """Create or update a warehouse; its time zone, cut-off and street address (`address`: line1,
    line2, postal_code, state, phone, email) change only when given."""
    when = {"timezone": time_zone, "cutoff_time": cutoff_time}
    when |= {field: (address or {}).get(field) for field in WAREHOUSE_ADDRESS_FIELDS}
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
            **{field: value for field, value in when.items() if value is not None},
        },
    )
    warehouse.carriers.set(Carrier.objects.filter(code__in=carrier_codes))
    return warehouse


def service_usage_count(*, carrier_code: str, service_code: str, at: datetime, orders: int = 1) -> None:
    """Add orders accepted at `at` to a service's count for that day in its carrier's time zone
    (one upsert, no lock held past it)."""
    zone = Carrier.objects.filter(code=carrier_code).values_list("timezone", flat=True).first() or "UTC"
    key = {"carrier_code": carrier_code, "service_code": service_code, "day": local_day(at, zone)}
    _count(ServiceDailyUsage, key, orders)


def warehouse_usage_count(*, warehouse_code: str, at: datetime, orders: int = 1) -> None:
    """Add orders accepted at `at` to a warehouse's count for that day in its time zone (one
    upsert, no lock held past it)."""
    zone = Warehouse.objects.filter(code=warehouse_code).values_list("timezone", flat=True).first() or "UTC"
    _count(WarehouseDailyUsage, {"warehouse_code": warehouse_code, "day": local_day(at, zone)}, orders)


def _count(model, key: dict, orders: int) -> None:
    table, columns = model._meta.db_table, ", ".join(key)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} ({columns}, orders) VALUES ({", ".join(["%s"] * (len(key) + 1))})
            ON CONFLICT ({columns}) DO UPDATE SET orders = {table}.orders + EXCLUDED.orders
            """,  # noqa: S608 (table and column names are the model's own)
            [*key.values(), orders],
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


def _unquoted(cell: str) -> str:
    """A cell as it was before `spreadsheet_cell` quoted it on export."""
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS) else cell


@transaction.atomic
def rate_card_import(*, card_id: int, text: str) -> int:
    """Replace a rate card's weight breaks with the CSV's rows (columns as `selectors.rate_card_csv`
    writes them); all or nothing. Raises RateCardInvalid listing every bad line; returns the rows."""
    card = RateCard.objects.select_related("service__carrier").select_for_update().get(pk=card_id)
    zones = {z.code: z for z in Zone.objects.filter(carrier=card.service.carrier)}
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in RATE_CARD_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise RateCardInvalid(f"The CSV lacks the column(s) {', '.join(missing)}.", extra={"lines": {}})
    errors: dict[int, list[str]] = {}
    rows, seen = [], set()
    for line, row in enumerate(reader, start=2):
        problems = []
        zone = zones.get(_unquoted((row.get("zone") or "").strip()))
        if zone is None:
            problems.append(f"zone {row.get('zone')!r} is not a zone of {card.service.carrier.code}")
        try:
            up_to_g = int(row["up_to_g"])
            if up_to_g <= 0:
                raise ValueError
        except (TypeError, ValueError):
            problems.append(f"up_to_g {row.get('up_to_g')!r} is not a positive whole number of grams")
            up_to_g = None
        amounts = {}
        for name in ("price", "extra_per_kg"):
            raw = (row.get(name) or "").strip() or ("0" if name == "extra_per_kg" else "")
            try:
                amounts[name] = Decimal(raw)
                if amounts[name] < 0 or amounts[name] != amounts[name].quantize(Decimal("0.01")):
                    raise InvalidOperation
            except InvalidOperation:
                problems.append(f"{name} {row.get(name)!r} is not an amount with at most 2 decimals")
        if zone is not None and up_to_g is not None:
            if (zone.code, up_to_g) in seen:
                problems.append(f"zone {zone.code} has the break {up_to_g} g twice")
            seen.add((zone.code, up_to_g))
        if problems:
            errors[line] = problems
        else:
            rows.append(RateBreak(card=card, zone=zone, up_to_g=up_to_g, **amounts))
    if errors:
        raise RateCardInvalid(
            f"{len(errors)} line(s) of the CSV are invalid; nothing was imported.", extra={"lines": errors}
        )
    card.breaks.all().delete()
    RateBreak.objects.bulk_create(rows)
    return len(rows)


@transaction.atomic
def rate_card_set(
    *,
    service: CarrierService,
    currency: str,
    zones: list[tuple[str, list[str], list[str]]],
    breaks: list[tuple[str, int, Decimal, Decimal]],
) -> RateCard:
    """Give a service a rate card: the carrier's zones (code, countries, postcode prefixes) are
    created or updated, and the card's breaks (zone, up to g, price, extra per kg) replaced."""
    for code, countries, prefixes in zones:
        Zone.objects.update_or_create(
            carrier=service.carrier,
            code=code,
            defaults={"countries": countries, "postcode_prefixes": prefixes},
        )
    card, _ = RateCard.objects.update_or_create(service=service, defaults={"currency": currency})
    by_code = {z.code: z for z in Zone.objects.filter(carrier=service.carrier)}
    card.breaks.all().delete()
    RateBreak.objects.bulk_create(
        RateBreak(card=card, zone=by_code[zone], up_to_g=g, price=price, extra_per_kg=extra)
        for zone, g, price, extra in breaks
    )
    return card


@transaction.atomic
def surcharge_set(
    *, carrier: Carrier, name: str, country: str, postcode_prefixes: list[str], amount: Decimal, currency: str
) -> Surcharge:
    surcharge, _ = Surcharge.objects.update_or_create(
        carrier=carrier,
        name=name,
        country=country,
        defaults={"postcode_prefixes": postcode_prefixes, "amount": amount, "currency": currency},
    )
    return surcharge


@transaction.atomic
def merchant_preferences_set(
    *, merchant_id: int, preferred: list[str], blocked: list[str], default_strategy: str = "cheapest"
) -> MerchantRoutingPreference:
    preference, _ = MerchantRoutingPreference.objects.update_or_create(
        merchant_id=merchant_id,
        defaults={"preferred_carriers": preferred, "blocked_carriers": blocked, "default_strategy": default_strategy},
    )
    return preference
