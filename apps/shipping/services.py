"""Intake: every channel submits orders here."""

from dataclasses import replace

from apps.orders.models import Order
from apps.orders.services import order_create
from apps.orders.types import AddressDraft, OrderDraft, OrderRoute
from apps.resources.types import STRATEGIES, RouteOption, RoutingResult
from apps.shipping.exceptions import NoRouteAvailable, RouteNotEligible, UnknownStrategy
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


def _exclusion_reason(quote: RoutingResult, chosen: tuple[str, str]) -> str:
    for exclusion in quote.exclusions:
        if (exclusion.carrier_code, exclusion.service_code) == chosen:
            return exclusion.reason
    return "no such carrier service"


def _checked_strategy(strategy: str | None) -> None:
    if strategy is not None and strategy not in STRATEGIES:
        raise UnknownStrategy(
            "Unknown routing strategy.", extra={"fields": {"strategy": [f"Choose one of {', '.join(STRATEGIES)}."]}}
        )


def order_rates(*, merchant_id: int | None, draft: OrderDraft, strategy: str | None = None) -> RoutingResult:
    """The quote intake would route the order by, without recording anything: the order is
    normalised and validated as `order_submit` does (`InvalidOrder` names every problem), then
    every option ranked by `strategy` (the merchant's default, else cheapest) and every exclusion."""
    return _validated_quote(merchant_id=merchant_id, draft=draft, strategy=strategy)[1]


def _validated_quote(
    *, merchant_id: int | None, draft: OrderDraft, strategy: str | None
) -> tuple[OrderDraft, RoutingResult]:
    _checked_strategy(strategy)
    draft = _normalized(draft)
    validate_draft(draft)
    return draft, order_quote(draft=draft, merchant_id=merchant_id, strategy=strategy)


def order_submit(
    *,
    merchant_id: int,
    draft: OrderDraft,
    actor: str,
    channel: str,
    chosen_route: tuple[str, str] | None = None,
    strategy: str | None = None,
) -> Order:
    """Validate, route and record an order. The merchant gets it back at once; carriers and
    warehouses are reached later, from workers, through the scheduling center.

    `chosen_route` (carrier code, service code) is the merchant's pick from a quote: it must be
    eligible for the order, else `RouteNotEligible` with the reason. Without it the platform takes
    the best option by `strategy` (the merchant's default strategy when None, else cheapest)."""
    draft, quote = _validated_quote(merchant_id=merchant_id, draft=draft, strategy=strategy)
    if not quote.options:
        raise NoRouteAvailable(
            "No carrier service can take this order.",
            extra={
                "exclusions": [
                    {"carrier": e.carrier_code, "service": e.service_code, "reason": e.reason} for e in quote.exclusions
                ]
            },
        )
    if chosen_route:
        chosen = (chosen_route[0], chosen_route[1])
        option = next((o for o in quote.options if _key(o) == chosen), None)
        if option is None:
            reason = _exclusion_reason(quote, chosen)
            message = f"{chosen[0]}/{chosen[1]} cannot take this order: {reason}."
            raise RouteNotEligible(
                message,
                extra={
                    "carrier": chosen[0],
                    "service": chosen[1],
                    "reason": reason,
                    "fields": {"carrier_service": [message]},
                },
            )
    else:
        option = quote.options[0]
    route = OrderRoute(
        carrier_code=option.carrier_code,
        service_code=option.service_code,
        price=option.price,
        currency=option.currency,
        warehouse_code=option.warehouse_code,
        explanation={
            "strategy": quote.strategy,
            "chosen_by": "merchant" if chosen_route else "platform",
            "score": option.score,
            "breakdown": option.breakdown,
            "alternatives": len(quote.options) - 1,
        },
    )
    return order_create(merchant_id=merchant_id, draft=draft, route=route, actor=actor, channel=channel)
