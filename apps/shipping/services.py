"""Intake: every channel submits orders here."""

from dataclasses import replace

from apps.orders.models import Order
from apps.orders.services import order_create
from apps.orders.types import AddressDraft, OrderDraft, OrderRoute
from apps.resources.types import RouteOption
from apps.shipping.exceptions import NoRouteAvailable
from apps.shipping.selectors import order_quote
from apps.shipping.validation import validate_draft


def _normalized(draft: OrderDraft) -> OrderDraft:
    def address(a: AddressDraft) -> AddressDraft:
        return replace(a, country=a.country.upper(), postal_code=a.postal_code.strip().upper())

    parcels = tuple(
        replace(
            p,
            items=tuple(
                replace(i, currency=i.currency.upper(), origin_country=i.origin_country.upper()) for i in p.items
            ),
        )
        for p in draft.parcels
    )
    return replace(draft, sender=address(draft.sender), recipient=address(draft.recipient), parcels=parcels)


def _key(option: RouteOption) -> tuple[str, str]:
    return option.carrier_code, option.service_code


def _choose(options: tuple[RouteOption, ...], preferred: tuple[str, str] | None) -> RouteOption:
    """The preferred route when it is eligible, else the cheapest."""
    if preferred:
        for option in options:
            if _key(option) == preferred:
                return option
    return options[0]


def order_submit(
    *, merchant_id: int, draft: OrderDraft, actor: str, channel: str, preferred_route: tuple[str, str] | None = None
) -> Order:
    """Validate, route and record an order. The merchant gets it back at once; carriers and
    warehouses are reached later, from workers, through the scheduling center."""
    draft = _normalized(draft)
    validate_draft(draft)
    quote = order_quote(draft=draft)
    if not quote.options:
        raise NoRouteAvailable(
            "No carrier service can take this order.",
            extra={
                "exclusions": [
                    {"carrier": e.carrier_code, "service": e.service_code, "reason": e.reason} for e in quote.exclusions
                ]
            },
        )
    preferred = tuple(preferred_route) if preferred_route else None
    option = _choose(quote.options, preferred)
    route = OrderRoute(
        carrier_code=option.carrier_code,
        service_code=option.service_code,
        price=option.price,
        currency=option.currency,
        explanation={
            "strategy": "preferred" if _key(option) == preferred else "cheapest",
            "breakdown": option.breakdown,
            "alternatives": len(quote.options) - 1,
        },
    )
    return order_create(merchant_id=merchant_id, draft=draft, route=route, actor=actor, channel=channel)
