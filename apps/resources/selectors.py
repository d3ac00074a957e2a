"""Reads of the resource center, including the routing decision's eligibility and ranking."""

import math
from collections import defaultdict
from decimal import Decimal

from apps.resources.exceptions import CarrierNotFound
from apps.resources.models import Carrier, CarrierService, Coverage
from apps.resources.types import CarrierInfo, Exclusion, RouteOption, RoutingResult, ShipmentProfile


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


def carrier_list() -> list[CarrierInfo]:
    return [_carrier_info(c) for c in Carrier.objects.order_by("code")]


def _quote(service: CarrierService, profile: ShipmentProfile) -> tuple[Decimal, dict]:
    # Carriers bill each parcel by started kilogram.
    kilograms = sum(math.ceil(w / 1000) for w in profile.parcel_weights_g)
    parcels = len(profile.parcel_weights_g)
    base = service.base_price * parcels
    weight = service.price_per_kg * kilograms
    total = (base + weight).quantize(Decimal("0.01"))
    return total, {"base": str(base), "weight": str(weight), "billed_kg": kilograms, "total": str(total)}


def _serves_postcode(coverage: Coverage, postcode: str) -> bool:
    prefixes = [p.replace(" ", "").upper() for p in coverage.postcode_prefixes]
    return not prefixes or any(postcode.startswith(p) for p in prefixes)


def _exclusion_reason(service: CarrierService, coverages: list[Coverage], profile: ShipmentProfile) -> str:
    carrier = service.carrier
    if carrier.status != Carrier.Status.ACTIVE:
        return f"carrier is {carrier.status}"
    if not service.is_active:
        return "service is inactive"
    if profile.service_level and service.level != profile.service_level:
        return f"service level is {service.level}, not {profile.service_level}"
    if not coverages:
        return f"does not serve {profile.origin_country}→{profile.destination_country}"
    # A service may cover one lane with several rows (one per region): any of them will do.
    postcode = profile.destination_postcode.replace(" ", "").upper()
    if not any(_serves_postcode(c, postcode) for c in coverages):
        return f"does not serve postcode {profile.destination_postcode}"
    heaviest = max(profile.parcel_weights_g)
    if heaviest > service.max_weight_g:
        return f"parcel of {heaviest} g exceeds the {service.max_weight_g} g limit"
    if profile.longest_side_mm > service.max_length_mm:
        return f"side of {profile.longest_side_mm} mm exceeds the {service.max_length_mm} mm limit"
    return ""


def route_options(*, profile: ShipmentProfile) -> RoutingResult:
    """Every eligible carrier service for the shipment, cheapest first, and every excluded one
    with the reason."""
    services = CarrierService.objects.select_related("carrier").order_by("carrier__code", "code")
    coverage_by_service: dict[int, list[Coverage]] = defaultdict(list)
    for c in Coverage.objects.filter(
        origin_country=profile.origin_country, destination_country=profile.destination_country
    ):
        coverage_by_service[c.service_id].append(c)
    options, exclusions = [], []
    for service in services:
        reason = _exclusion_reason(service, coverage_by_service.get(service.pk, []), profile)
        if reason:
            exclusions.append(Exclusion(service.carrier.code, service.code, reason))
            continue
        price, breakdown = _quote(service, profile)
        options.append(
            RouteOption(
                carrier_code=service.carrier.code,
                service_code=service.code,
                service_level=service.level,
                price=price,
                currency=service.currency,
                transit_days_min=service.transit_days_min,
                transit_days_max=service.transit_days_max,
                breakdown=breakdown,
            )
        )
    options.sort(key=lambda o: (o.price, o.transit_days_max, o.carrier_code, o.service_code))
    return RoutingResult(options=tuple(options), exclusions=tuple(exclusions))
