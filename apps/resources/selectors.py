"""Reads of the resource center, including the routing decision's eligibility and ranking."""

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from apps.common.text import spreadsheet_cell
from apps.resources.catalogue import current_catalogue, current_counters
from apps.resources.exceptions import CarrierNotFound, WarehouseNotFound
from apps.resources.models import Carrier, CarrierService, LineHaul, MerchantRoutingPreference, RateBreak, Warehouse
from apps.resources.profiles import profile_build
from apps.resources.routing import decide
from apps.resources.types import (
    CarrierInfo,
    LineHaulInfo,
    MerchantPreferences,
    RoutingResult,
    ShipmentProfile,
    WarehouseStock,
)


def _carrier_info(carrier: Carrier) -> CarrierInfo:
    return CarrierInfo(
        code=carrier.code,
        name=carrier.name,
        gateway_kind=carrier.gateway_kind,
        endpoint_url=carrier.endpoint_url,
        api_key=carrier.api_key,
        status=carrier.status,
        requests_per_second=carrier.requests_per_second,
        max_concurrent_calls=carrier.max_concurrent_calls,
    )


def carrier_get(*, code: str) -> CarrierInfo:
    carrier = Carrier.objects.filter(code=code).first()
    if carrier is None:
        raise CarrierNotFound(f"Carrier {code!r} does not exist.")
    return _carrier_info(carrier)


def _party(
    *,
    name: str,
    company: str,
    line1: str,
    city: str,
    postal_code: str,
    country: str,
    line2: str = "",
    state: str = "",
    phone: str = "",
    email: str = "",
) -> dict[str, str]:
    """A place of the resource center (a hub, a warehouse) as a party of a carrier booking, in the
    shipment's party fields (`distribution.shipments.PARTY_FIELDS`). The one place they are built."""
    return {
        "name": name,
        "company": company,
        "line1": line1,
        "line2": line2,
        "city": city,
        "state": state,
        "postal_code": postal_code,
        "country": country,
        "phone": phone,
        "email": email,
    }


def warehouse_ship_from(*, code: str) -> dict[str, str]:
    """Where a parcel packed at the warehouse leaves from: the sender on its carrier booking."""
    w = warehouse_get(code=code)
    return _party(
        name=w.name,
        company=w.name,
        line1=w.line1 or w.name,
        line2=w.line2,
        city=w.city,
        state=w.state,
        postal_code=w.postal_code,
        country=w.country,
        phone=w.phone,
        email=w.email,
    )


def _line_haul_info(haul: LineHaul) -> LineHaulInfo:
    return LineHaulInfo(
        code=haul.code,
        hub_address=_party(
            name=haul.hub_name,
            company=haul.name,
            line1=haul.hub_line1,
            city=haul.hub_city,
            postal_code=haul.hub_postal_code,
            country=haul.hub_country,
        ),
        destination_hub=haul.destination_hub,
        departure_weekdays=tuple(haul.departure_weekdays),
        cutoff_time=haul.cutoff_time,
        timezone=haul.timezone,
        transit_days=haul.transit_days,
        last_mile_carrier_code=haul.last_mile_carrier.code,
        last_mile_service_code=haul.last_mile_service_code,
    )


def line_haul_for_service(*, carrier_code: str, service_code: str) -> LineHaulInfo | None:
    """The line haul a carrier service is the first mile of, or None for a service that carries
    the parcel the whole way."""
    haul = (
        LineHaul.objects.select_related("last_mile_carrier")
        .filter(services__carrier__code=carrier_code, services__code=service_code)
        .first()
    )
    return _line_haul_info(haul) if haul is not None else None


def line_haul_get(*, code: str) -> LineHaulInfo:
    return _line_haul_info(LineHaul.objects.select_related("last_mile_carrier").get(code=code))


def warehouse_ship_by(*, code: str, now: datetime) -> date:
    """The day an order accepted `now` must leave the warehouse: today where the warehouse is,
    or the next day once its cut-off has passed there, moved on past days it does not ship
    (weekends by its working days, its holidays). Summer time needs nothing more: the cut-off is
    compared in the warehouse's own clock."""
    warehouse = Warehouse.objects.get(code=code)
    local = now.astimezone(ZoneInfo(warehouse.timezone))
    day = local.date() + timedelta(days=1 if local.time() >= warehouse.cutoff_time else 0)
    working = set(warehouse.working_weekdays or range(7))
    holidays = set(warehouse.holidays)
    for _ in range(366):
        if day.weekday() in working and day not in holidays:
            return day
        day += timedelta(days=1)
    raise ValueError(f"warehouse {code} ships on no day of the coming year")


def warehouse_codes() -> list[str]:
    """Codes of the active warehouses."""
    return list(Warehouse.objects.filter(is_active=True).order_by("code").values_list("code", flat=True))


def warehouse_get(*, code: str) -> Warehouse:
    """A warehouse's row (its WMS endpoint for `apps.warehouse.wms.wms_gateway_for`)."""
    warehouse = Warehouse.objects.filter(code=code).first()
    if warehouse is None:
        raise WarehouseNotFound(f"Warehouse {code!r} does not exist.")
    return warehouse


def warehouse_list() -> list[Warehouse]:
    """The active warehouses merchants can hold stock in and ship from, by code."""
    return list(Warehouse.objects.filter(is_active=True).order_by("code"))


def carrier_list() -> list[CarrierInfo]:
    return [_carrier_info(c) for c in Carrier.objects.order_by("code")]


def destination_countries() -> list[str]:
    """Every country some open service or warehouse ships to, from the in-process catalogue."""
    catalogue = current_catalogue()
    countries = {destination for spec in catalogue.services for _, destination in spec.lanes}
    countries |= {country for warehouse in catalogue.warehouses for country in warehouse.ships_to}
    return sorted(countries)


def merchant_preferences(*, merchant_id: int) -> MerchantPreferences:
    """The merchant's preferred and blocked carriers and default strategy (defaults if none set),
    as routing uses them: from the in-process catalogue."""
    return current_catalogue().preferences.get(merchant_id, MerchantPreferences())


def merchant_preferences_saved(*, merchant_id: int) -> MerchantPreferences:
    """The same as stored, in one query: for a page that shows or edits them, which need not load
    (or wait for) the whole routing catalogue."""
    row = MerchantRoutingPreference.objects.filter(merchant_id=merchant_id).first()
    if row is None:
        return MerchantPreferences()
    return MerchantPreferences(
        preferred_carriers=frozenset(row.preferred_carriers),
        blocked_carriers=frozenset(row.blocked_carriers),
        default_strategy=row.default_strategy,
    )


def route_options(
    *,
    profile: ShipmentProfile,
    strategy: str = "cheapest",
    preferences: MerchantPreferences | None = None,
    stock: tuple[WarehouseStock, ...] = (),
    now: datetime | None = None,
) -> RoutingResult:
    """Every eligible option for the shipment (direct, and from warehouses holding its stock),
    ranked best first by the strategy, and every excluded one with the reason (docs/routing.md).
    Reads the in-process catalogue; no query per decision beyond its periodic checks."""
    catalogue, now = current_catalogue(), now or timezone.now()
    return decide(
        catalogue,
        profile=profile,
        strategy=strategy,
        preferences=preferences,
        stock=tuple(stock),
        counters=current_counters(catalogue=catalogue, now=now),
        now=now,
    )


def shipment_profile_build(
    *,
    origin_country: str,
    destination_country: str,
    destination_postcode: str,
    service_level: str,
    parcels: Sequence[tuple[Any, Iterable[Any]]],
) -> ShipmentProfile:
    """The routing profile of parcels and their items (drafts or order rows): see `profiles`."""
    return profile_build(
        origin_country=origin_country,
        destination_country=destination_country,
        destination_postcode=destination_postcode,
        service_level=service_level,
        parcels=parcels,
        usd_per_unit=current_catalogue().usd_per_unit,
    )


RATE_CARD_COLUMNS = ["zone", "up_to_g", "price", "extra_per_kg"]


def rate_card_csv(*, card_id: int) -> str:
    """A rate card as CSV: one row per weight break (zone, up_to_g, price, extra_per_kg)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(RATE_CARD_COLUMNS)
    for b in RateBreak.objects.filter(card_id=card_id).select_related("zone").order_by("zone__code", "up_to_g"):
        writer.writerow([spreadsheet_cell(b.zone.code), b.up_to_g, b.price, b.extra_per_kg])
    return buffer.getvalue()


def service_transit_days(*, carrier_code: str, service_code: str) -> tuple[int, int] | None:
    """The days a carrier service takes from booking to the door (fewest, most), as quoted to the
    merchant (for the first mile of a line haul: the whole route), or None for an unknown service."""
    return (
        CarrierService.objects.filter(carrier__code=carrier_code, code=service_code)
        .values_list("transit_days_min", "transit_days_max")
        .first()
    )


def services_transit_days_max(*, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """The latest day each (carrier code, service code) promises, counted from acceptance (as
    `delivery_promise_record` promises it); services not found are left out."""
    keys = set(keys)
    if not keys:
        return {}
    carriers = {carrier for carrier, _ in keys}
    rows = CarrierService.objects.filter(carrier__code__in=carriers).values_list(
        "carrier__code", "code", "transit_days_max"
    )
    return {(carrier, code): days for carrier, code, days in rows if (carrier, code) in keys}


def service_choices() -> list[tuple[str, str]]:
    """Every active carrier service as ("carrier/service", "Carrier name: service name"), for a
    merchant choosing one service for many orders (label batches)."""
    services = (
        CarrierService.objects.filter(is_active=True, carrier__status=Carrier.Status.ACTIVE)
        .select_related("carrier")
        .order_by("carrier__name", "name")
    )
    return [(f"{s.carrier.code}/{s.code}", f"{s.carrier.name}: {s.name}") for s in services]
