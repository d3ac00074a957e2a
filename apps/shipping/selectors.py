"""Reads of the shipping center: quotes."""

from dataclasses import replace

from apps.orders.models import Order
from apps.orders.types import OrderDraft
from apps.resources.selectors import merchant_preferences, route_options, shipment_profile_build
from apps.resources.types import RoutingResult, ShipmentProfile, WarehouseStock


def shipment_profile(draft: OrderDraft) -> ShipmentProfile:
    """What routing needs of the draft: parcels with their sizes, declared value and currency from
    the items, content categories from their HS codes and descriptions, SKUs for warehouses."""
    return shipment_profile_build(
        origin_country=draft.sender.country,
        destination_country=draft.recipient.country,
        destination_postcode=draft.recipient.postal_code,
        service_level=draft.service_level,
        parcels=[(p, p.items) for p in draft.parcels],
    )


def order_quote(
    *,
    draft: OrderDraft,
    merchant_id: int | None = None,
    strategy: str | None = None,
    stock: tuple[WarehouseStock, ...] = (),
    any_service_level: bool = False,
) -> RoutingResult:
    """Every route for the order, best first, and what was excluded and why.

    With `merchant_id`, the merchant's routing preferences apply (blocked carriers are excluded;
    their default strategy is used unless `strategy` is given). `stock` is the merchant's stock
    per warehouse (the warehouse center's), for warehouse routes.
    """
    profile = shipment_profile(draft)
    if any_service_level:
        profile = replace(profile, service_level="")
    return _quote(profile=profile, merchant_id=merchant_id, strategy=strategy, stock=stock)


def order_requote(*, order: Order) -> RoutingResult:
    """Every direct carrier route for a recorded order, best first by its merchant's default
    strategy: the merchant's preferences (blocked carriers) hold for a re-route too. No stock is
    offered, so no warehouse route: the parcel is already on its way to a carrier."""
    profile = shipment_profile_build(
        origin_country=order.sender_country,
        destination_country=order.recipient_country,
        destination_postcode=order.recipient_postal_code,
        service_level=order.service_level,
        parcels=[(p, list(p.items.all())) for p in order.parcels.all()],
    )
    return _quote(profile=profile, merchant_id=order.merchant_id)


def _quote(
    *,
    profile: ShipmentProfile,
    merchant_id: int | None,
    strategy: str | None = None,
    stock: tuple[WarehouseStock, ...] = (),
) -> RoutingResult:
    preferences = merchant_preferences(merchant_id=merchant_id) if merchant_id is not None else None
    chosen = strategy or (preferences.default_strategy if preferences else "cheapest")
    return route_options(profile=profile, strategy=chosen, preferences=preferences, stock=stock)
