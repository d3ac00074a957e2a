"""Intake: every channel submits orders here. The routing decision, at intake and when a
booking fails for good, is taken here and only here."""

from collections.abc import Collection
from dataclasses import dataclass, replace

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from apps.distribution.selectors import distribution_order_get, distribution_orders_for_order
from apps.distribution.services import distribution_order_cancel
from apps.fulfillment.selectors import fulfillment_current_distribution_order_id, fulfillment_warehouse_order_ids
from apps.orders.exceptions import OrderStateConflict
from apps.orders.models import Order
from apps.orders.selectors import order_get, order_get_for_fulfillment
from apps.orders.services import order_cancel, order_create, order_flag_exception, order_reroute
from apps.orders.types import AddressDraft, OrderDraft, OrderRoute
from apps.resources.exceptions import WarehouseNotFound
from apps.resources.selectors import warehouse_get, warehouse_ship_by
from apps.resources.types import STRATEGIES, Reason, RouteOption, RoutingResult
from apps.resources.words import reason_text
from apps.scheduling.services import lane_entry_withdraw_for_reroute, lane_requeue
from apps.shipping.exceptions import (
    InvalidOrder,
    NoRouteAvailable,
    OrderNotReroutable,
    RouteNotEligible,
    UnknownStrategy,
)
from apps.shipping.selectors import order_quote, order_requote
from apps.shipping.stock_routing import ANY_WAREHOUSE, stock_for_routing, stock_plan
from apps.shipping.validation import validate_draft
from apps.warehouse.models import BEFORE_WMS, WarehouseOrderState
from apps.warehouse.selectors import warehouse_order_get
from apps.warehouse.services import warehouse_order_cancel, warehouse_order_create

# `order_submit(warehouse=ANY_WAREHOUSE)` ships from whichever warehouse(s) routing finds best;
# the channels import ANY_WAREHOUSE from here.


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
    return Reason("no_such_service", "no such carrier service")


def _checked_strategy(strategy: str | None) -> None:
    if strategy is not None and strategy not in STRATEGIES:
        raise UnknownStrategy(
            gettext("Unknown routing strategy."),
            extra={
                "fields": {"strategy": [gettext("Choose one of %(choices)s.") % {"choices": ", ".join(STRATEGIES)}]}
            },
        )


def order_rates(
    *, merchant_id: int | None, draft: OrderDraft, strategy: str | None = None, warehouse: str | None = None
) -> RoutingResult:
    """The quote intake would route the order by, without recording anything: the order is
    normalised and validated as `order_submit` does (`InvalidOrder` names every problem), then
    every option ranked by `strategy` (the merchant's default, else cheapest) and every exclusion.

    With `warehouse` (a code, or `ANY_WAREHOUSE`) the routes from the merchant's stock there are
    quoted too, each naming its warehouse; a warehouse short of stock is an exclusion saying so."""
    if not warehouse or merchant_id is None:
        return _validated_quote(merchant_id=merchant_id, draft=draft, strategy=strategy)[1]
    _checked_strategy(strategy)
    _checked_warehouse(warehouse)
    draft = validate_draft(_normalized(draft))
    stock = stock_for_routing(merchant_id=merchant_id, skus=_stock_wanted(draft), warehouse=warehouse)
    return order_quote(draft=draft, merchant_id=merchant_id, strategy=strategy, stock=stock)


def _validated_quote(
    *, merchant_id: int | None, draft: OrderDraft, strategy: str | None
) -> tuple[OrderDraft, RoutingResult]:
    _checked_strategy(strategy)
    draft = validate_draft(_normalized(draft))
    return draft, order_quote(draft=draft, merchant_id=merchant_id, strategy=strategy)


def order_submit(
    *,
    merchant_id: int,
    draft: OrderDraft,
    actor: str,
    channel: str,
    chosen_route: tuple[str, str] | None = None,
    strategy: str | None = None,
    warehouse: str | None = None,
) -> Order:
    """Validate, route and record an order. The merchant gets it back at once; carriers and
    warehouses are reached later, from workers, through the scheduling center.

    `chosen_route` (carrier code, service code) is the merchant's pick from a quote: it must be
    eligible for the order, else `RouteNotEligible` with the reason. Without it the platform takes
    the best option by `strategy` (the merchant's default strategy when None, else cheapest).

    `warehouse` ships the order from the merchant's stock: a warehouse's code, or `ANY_WAREHOUSE`
    for the best warehouse routing finds (`_submit_from_stock`). Without it the order goes direct."""
    if warehouse:
        return _submit_from_stock(
            merchant_id=merchant_id,
            draft=draft,
            actor=actor,
            channel=channel,
            chosen_route=chosen_route,
            strategy=strategy,
            warehouse=warehouse,
        )
    draft, quote = _validated_quote(merchant_id=merchant_id, draft=draft, strategy=strategy)
    option = _chosen_option(quote=quote, chosen_route=chosen_route)
    if option is None:
        raise NoRouteAvailable(
            gettext("No carrier service can take this order."),
            extra={
                "exclusions": [
                    {"carrier": e.carrier_code, "service": e.service_code, "reason": e.reason} for e in quote.exclusions
                ]
            },
        )
    route = _order_route(
        option,
        explanation={
            "strategy": quote.strategy,
            "chosen_by": "merchant" if chosen_route else "platform",
            "score": option.score,
            "breakdown": option.breakdown,
            "alternatives": len(quote.options) - 1,
        },
    )
    return order_create(merchant_id=merchant_id, draft=draft, route=route, actor=actor, channel=channel)


def order_reroute_after_failed_booking(*, order_id: int, reason: str, actor: str) -> Order | None:
    """Booking failed for good (scheduling asks, `scheduling.order.reroute_requested`): route the
    order to the best eligible carrier it has not tried and put it back on a lane, or, when none
    is left, flag it for a person with the reason. Returns the re-routed order, else None."""
    with transaction.atomic():
        order = order_get_for_fulfillment(order_id=order_id)
        if order.state != "in_fulfillment":
            return None
        tried = {d.carrier_code for d in distribution_orders_for_order(order_id=order_id)} | {order.carrier_code}
        option = _chosen_option(quote=order_requote(order=order), tried_carriers=tried)
        if option is None:
            order_flag_exception(
                order_id=order_id,
                actor=actor,
                reason=f"{reason}; no other carrier can take it (tried {', '.join(sorted(tried))})",
            )
            return None
        route = _order_route(option, explanation={"strategy": "reroute", "breakdown": option.breakdown})
        order = order_reroute(order_id=order_id, route=route, actor=actor, reason=reason)
        lane_requeue(order_id=order_id, actor=actor)
    return order


# Before a carrier has the parcel: waiting on a lane, being booked, or flagged for a person.
REROUTABLE_STATES = ("scheduled", "in_fulfillment", "exception")


def order_reroute_by_operations(
    *, order_id: int, actor: str, reason: str, chosen_route: tuple[str, str] | None = None
) -> Order:
    """Operations move an order to another carrier service before a carrier has its parcel: to
    `chosen_route` (carrier code, service code; `RouteNotEligible` if it cannot take the order),
    else to the best option at another carrier than the current one (`NoRouteAvailable` when none).

    Its waiting booking leaves its lane (refused while its call is under way), its current delivery
    is cancelled (voided at the carrier if it was booked; refused once the carrier has the parcel),
    and it goes back on a lane, the new carrier's, with the history naming `actor`."""
    with transaction.atomic():
        order = order_get_for_fulfillment(order_id=order_id)
        if order.state not in REROUTABLE_STATES:
            raise OrderNotReroutable(
                gettext("Order %(number)s is “%(state)s”; only an order no carrier has yet can be re-routed.")
                % {"number": order.number, "state": order.get_state_display()},
                extra={"order_id": str(order.id), "state": order.state},
            )
        quote = order_requote(order=order)
        if chosen_route:
            option = _chosen_option(quote=quote, chosen_route=chosen_route)
        else:
            option = _chosen_option(quote=quote, tried_carriers={order.carrier_code})
        if option is None:
            raise NoRouteAvailable(
                gettext("No other carrier than %(carrier)s can take order %(number)s.")
                % {"carrier": order.carrier_code, "number": order.number},
                extra={"order_id": str(order.id)},
            )
        lane_entry_withdraw_for_reroute(order_id=order.id, actor=actor, reason=reason)
        leg_id = fulfillment_current_distribution_order_id(order_id=order.id)
        if leg_id is not None and distribution_order_get(distribution_order_id=leg_id).state != "booking_failed":
            distribution_order_cancel(distribution_order_id=leg_id, actor=actor, reason=f"re-routed: {reason}")
        route = _order_route(
            option,
            explanation={"strategy": "reroute", "chosen_by": actor, "breakdown": option.breakdown},
        )
        order = order_reroute(order_id=order.id, route=route, actor=actor, reason=reason)
        lane_requeue(order_id=order.id, actor=actor)
    return order


def _chosen_option(
    *, quote: RoutingResult, chosen_route: tuple[str, str] | None = None, tried_carriers: Collection[str] = ()
) -> RouteOption | None:
    """The route an order goes by: the merchant's pick from the quote if it is eligible (else
    `RouteNotEligible` with the reason), or the best option at a carrier not tried yet; None when
    no option is left. Options are built as they are read, so the best one usually costs one."""
    best = next((o for o in quote.options if o.carrier_code not in tried_carriers), None)
    if best is None or not chosen_route:
        return best
    chosen = (chosen_route[0], chosen_route[1])
    option = next((o for o in quote.options if _key(o) == chosen), None)
    if option is None:
        reason = _exclusion_reason(quote, chosen)
        message = gettext("%(carrier)s/%(service)s cannot take this order: %(reason)s.") % {
            "carrier": chosen[0],
            "service": chosen[1],
            "reason": reason_text(reason),
        }
        raise RouteNotEligible(
            message,
            extra={
                "carrier": chosen[0],
                "service": chosen[1],
                "reason": reason,
                "fields": {"carrier_service": [message]},
            },
        )
    return option


def _order_route(option: RouteOption, *, explanation: dict) -> OrderRoute:
    return OrderRoute(
        carrier_code=option.carrier_code,
        service_code=option.service_code,
        price=option.price,
        currency=option.currency,
        warehouse_code=option.warehouse_code,
        explanation=explanation,
    )


def _stock_wanted(draft: OrderDraft) -> dict[str, int]:
    """Units per SKU the order takes from stock; every item must name its SKU."""
    wanted: dict[str, int] = {}
    missing = {}
    for p, parcel in enumerate(draft.parcels):
        for i, item in enumerate(parcel.items):
            if not item.sku.strip():
                missing[f"parcels[{p}].items[{i}].sku"] = [gettext("Name the SKU to ship it from stock.")]
            else:
                wanted[item.sku.strip()] = wanted.get(item.sku.strip(), 0) + item.quantity
    if missing or not wanted:
        raise InvalidOrder(
            gettext("An order from stock needs items with SKUs."),
            extra={"fields": missing or {"parcels[0].items": [gettext("Add the items to ship from stock.")]}},
        )
    return wanted


def _checked_warehouse(warehouse: str) -> None:
    if warehouse == ANY_WAREHOUSE:
        return
    try:
        active = warehouse_get(code=warehouse).is_active
    except WarehouseNotFound:
        active = False
    if not active:
        message = gettext("No warehouse %(warehouse)r takes orders; name one you hold stock in, or %(any)r.") % {
            "warehouse": warehouse,
            "any": ANY_WAREHOUSE,
        }
        raise InvalidOrder(message, extra={"fields": {"warehouse": [message]}})


def _submit_from_stock(
    *,
    merchant_id: int,
    draft: OrderDraft,
    actor: str,
    channel: str,
    chosen_route: tuple[str, str] | None,
    strategy: str | None,
    warehouse: str,
) -> Order:
    """An order shipped from a warehouse, or split across warehouses when none holds it all
    (`stock_routing.stock_plan`: one warehouse first, then fewest packages, then cost), else
    refused whole (`OutOfStock`, 409, with the units short per SKU) and nothing is recorded.

    The order and its warehouse orders (one per part, every line reserved) are written in one
    transaction: two orders for the last unit cannot both be accepted, the second is refused
    with 409 `out_of_stock` here, not backordered later. The order's plan takes the warehouse
    orders over (`warehouse_order_confirm`)."""
    _checked_strategy(strategy)
    _checked_warehouse(warehouse)
    draft = validate_draft(_normalized(draft))
    wanted = _stock_wanted(draft)
    stock = stock_for_routing(merchant_id=merchant_id, skus=wanted, warehouse=warehouse)
    plan = stock_plan(
        draft=draft,
        merchant_id=merchant_id,
        stock=stock,
        strategy=strategy,
        chosen_route=chosen_route,
        warehouse=warehouse,
    )
    first = plan.parts[0].option
    route = OrderRoute(
        carrier_code=first.carrier_code,
        service_code=first.service_code,
        price=plan.price,
        currency=first.currency,
        warehouse_code=first.warehouse_code,
        explanation={
            "strategy": plan.quote.strategy,
            "chosen_by": "merchant" if chosen_route else "platform",
            "score": first.score,
            "breakdown": first.breakdown,
            "warehouse_named": warehouse != ANY_WAREHOUSE,
            **plan.explanation(),
        },
    )
    now = timezone.now()
    with transaction.atomic():
        order = order_create(merchant_id=merchant_id, draft=draft, route=route, actor=actor, channel=channel)
        ship_to = _ship_to(draft)
        for part in sorted(plan.parts, key=lambda p: p.warehouse_code):  # stock rows locked in one order
            warehouse_order_create(
                order_id=order.id,
                merchant_id=merchant_id,
                warehouse_code=part.warehouse_code,
                lines=list(part.lines),
                ship_to=ship_to,
                ship_by=warehouse_ship_by(code=part.warehouse_code, now=now),
                actor=actor,
                reserve_only=True,
            )
    return order


def _ship_to(draft: OrderDraft) -> dict[str, str]:
    """The recipient as the warehouse's WMS takes it."""
    r = draft.recipient
    return {
        "name": r.name,
        "company": r.company,
        "street1": r.line1,
        "street2": r.line2,
        "city": r.city,
        "state": r.state,
        "postcode": r.postal_code,
        "country": r.country,
        "phone": r.phone,
        "email": r.email,
    }


@dataclass(frozen=True)
class CancelOutcome:
    """What a cancel did: the order cancelled, or (shipped from a warehouse whose WMS has it) the
    cancel asked of the WMS, which answers later and may still refuse."""

    order: Order
    requested: bool


def order_cancel_request(
    *, merchant_id: int, order_id: int, actor: str, reason: str = "", expected_version: int | None = None
) -> CancelOutcome:
    """Call an order back before hand-over. An order whose warehouse order is at the WMS is not
    cancelled here: the cancel is asked of the WMS (`requested`, an API's 202) and the order is
    cancelled when the WMS confirms; once picking started it is refused (409 `not_cancellable`
    with the reason). So no order reads cancelled while its WMS goes on to ship it."""
    with transaction.atomic():
        order = order_get(merchant_id=merchant_id, order_id=order_id)
        at_wms = [
            warehouse_order_id
            for warehouse_order_id in fulfillment_warehouse_order_ids(order_id=order.id)
            if warehouse_order_get(warehouse_order_id=warehouse_order_id).state
            not in (*BEFORE_WMS, WarehouseOrderState.CANCELLED)
        ]
        if at_wms:  # every part of a split order, all or none (one refusing refuses the cancel)
            if expected_version is not None and expected_version != order.version:
                raise OrderStateConflict(
                    gettext("Order %(number)s changed since version %(expected)s; it is now version %(version)s.")
                    % {"number": order.number, "expected": expected_version, "version": order.version},
                    code="version_conflict",
                    extra={"order_id": str(order.id), "state": order.state, "version": order.version},
                )
            states = [
                warehouse_order_cancel(
                    warehouse_order_id=warehouse_order_id, actor=actor, reason=reason or "cancelled by merchant"
                ).state
                for warehouse_order_id in at_wms
            ]
            return CancelOutcome(order=order, requested="cancel_requested" in states)
        order = order_cancel(
            merchant_id=merchant_id, order_id=order_id, actor=actor, reason=reason, expected_version=expected_version
        )
    return CancelOutcome(order=order, requested=False)
