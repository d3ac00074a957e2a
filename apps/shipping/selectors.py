"""Reads of the shipping center: quotes."""

from dataclasses import replace

from apps.orders.types import OrderDraft
from apps.resources.selectors import route_options
from apps.resources.types import RoutingResult, ShipmentProfile


def shipment_profile(draft: OrderDraft) -> ShipmentProfile:
    return ShipmentProfile(
        origin_country=draft.sender.country.upper(),
        destination_country=draft.recipient.country.upper(),
        destination_postcode=draft.recipient.postal_code,
        parcel_weights_g=tuple(p.weight_g for p in draft.parcels),
        longest_side_mm=max((max(p.length_mm, p.width_mm, p.height_mm) for p in draft.parcels), default=0),
        service_level=draft.service_level,
    )


def order_quote(*, draft: OrderDraft, any_service_level: bool = False) -> RoutingResult:
    """Every route for the order, best first, and what was excluded and why."""
    profile = shipment_profile(draft)
    if any_service_level:
        profile = replace(profile, service_level="")
    return route_options(profile=profile)
