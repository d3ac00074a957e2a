"""Reads of the shipping center: quotes."""

from dataclasses import replace

from apps.orders.types import OrderDraft
from apps.resources.selectors import route_options
from apps.resources.types import RouteOption, RoutingResult, ShipmentProfile


def shipment_profile(draft: OrderDraft) -> ShipmentProfile:
    return ShipmentProfile(
        origin_country=draft.sender.country.upper(),
        destination_country=draft.recipient.country.upper(),
        destination_postcode=draft.recipient.postal_code,
        parcel_weights_g=tuple(p.weight_g for p in draft.parcels),
        longest_side_mm=max((max(p.length_mm, p.width_mm, p.height_mm) for p in draft.parcels), default=0),
        service_level=draft.service_level,
    )


def _placeholder_rank(options: tuple[RouteOption, ...], strategy: str) -> tuple[RouteOption, ...]:
    # PLACEHOLDER until the resource center ranks by strategy itself (routing engine, issue 5):
    # "fastest" by the latest delivery day, then price; the others keep the cheapest-first order.
    if strategy == "fastest":
        return tuple(sorted(options, key=lambda o: (o.transit_days_max, o.transit_days_min, o.price)))
    return options


def order_quote(
    *,
    draft: OrderDraft,
    merchant_id: int | None = None,
    strategy: str | None = None,
    stock=(),
    any_service_level: bool = False,
) -> RoutingResult:
    """Every route for the order, best first by `strategy` (the merchant's default, else
    cheapest, when None), and what was excluded and why."""
    profile = shipment_profile(draft)
    if any_service_level:
        profile = replace(profile, service_level="")
    result = route_options(profile=profile)
    chosen = strategy or "cheapest"
    return replace(result, options=_placeholder_rank(result.options, chosen), strategy=chosen)
