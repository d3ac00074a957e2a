"""Routing an order from the merchant's stock (reads only): intake, quotes and the route simulator
all route by `stock_plan` over `stock_for_routing`, so they give the same answer.

The rule (docs/warehouse.md, "Routing from stock"):
1. the whole order from one warehouse: routing ranks every stocked warehouse's routes by the
   strategy, and a warehouse is excluded with its reason (short of stock, at capacity, past its
   cut-off while another ships today, no carrier from there);
2. else the order is split: the plan with the fewest packages (warehouses) first, then the
   nearest (the earliest day its last part is delivered), then the cheapest in total, then by
   warehouse codes; each part ships from one warehouse by the best route routing finds for it.
   A SKU line is kept whole in one warehouse where it can be, else spread over the plan's
   warehouses, most available first.
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal
from itertools import combinations

from django.utils.translation import gettext

from apps.orders.types import ItemDraft, OrderDraft, ParcelDraft
from apps.resources.types import RouteOption, RoutingResult, WarehouseStock
from apps.shipping.exceptions import NoRouteAvailable, RouteNotEligible
from apps.shipping.selectors import order_quote
from apps.warehouse.exceptions import OutOfStock
from apps.warehouse.selectors import stock_available

ANY_WAREHOUSE = "any"
# A split looks at plans of at most this many warehouses, and this many plans in all.
MAX_SPLIT_WAREHOUSES = 4
MAX_SPLIT_PLANS = 200


@dataclass(frozen=True)
class StockPart:
    """One package of the order: what one warehouse ships, and by which route."""

    warehouse_code: str
    lines: tuple[tuple[str, int], ...]
    option: RouteOption


@dataclass(frozen=True)
class StockPlan:
    """How an order ships from stock: one part per warehouse (two or more: split), and the quote
    of the whole order (its options and every exclusion, warehouses' included, with reasons)."""

    parts: tuple[StockPart, ...]
    quote: RoutingResult

    @property
    def split(self) -> bool:
        return len(self.parts) > 1

    @property
    def price(self) -> Decimal:
        return sum((p.option.price for p in self.parts), Decimal("0"))

    def warehouse_exclusions(self) -> list[dict[str, str]]:
        """Each warehouse the whole order could not ship from, and why (for the route explanation)."""
        return [
            {"warehouse": e.warehouse_code, "reason": e.reason}
            for e in self.quote.exclusions
            if e.warehouse_code and not e.carrier_code
        ]

    def explanation(self) -> dict:
        """What the order records of the plan (`route_explanation`): the parts and the exclusions."""
        return {
            "warehouse": self.parts[0].warehouse_code,
            "split": self.split,
            "parts": [
                {
                    "warehouse": p.warehouse_code,
                    "carrier": p.option.carrier_code,
                    "service": p.option.service_code,
                    "price": str(p.option.price),
                    "currency": p.option.currency,
                    "lines": [[sku, qty] for sku, qty in p.lines],
                    "delivery_latest": p.option.delivery_latest.isoformat() if p.option.delivery_latest else None,
                }
                for p in self.parts
            ],
            "warehouses_excluded": self.warehouse_exclusions(),
        }


def stock_wanted(draft: OrderDraft) -> dict[str, int]:
    """Units per SKU of the draft's items that name one (the caller checks they all do)."""
    wanted: dict[str, int] = {}
    for parcel in draft.parcels:
        for item in parcel.items:
            if item.sku.strip():
                wanted[item.sku.strip()] = wanted.get(item.sku.strip(), 0) + item.quantity
    return wanted


def stock_for_routing(*, merchant_id: int, skus: Iterable[str], warehouse: str) -> tuple[WarehouseStock, ...]:
    """The merchant's available units of the SKUs, in the named warehouse or (`ANY_WAREHOUSE`) in
    every warehouse: what routing is given for routes from stock."""
    return tuple(
        WarehouseStock(code, sku, units)
        for code, held in sorted(stock_available(merchant_id=merchant_id, skus=skus).items())
        if warehouse in (ANY_WAREHOUSE, code)
        for sku, units in sorted(held.items())
    )


def stock_plan(
    *,
    draft: OrderDraft,
    merchant_id: int,
    stock: tuple[WarehouseStock, ...],
    strategy: str | None = None,
    chosen_route: tuple[str, str] | None = None,
    warehouse: str = ANY_WAREHOUSE,
) -> StockPlan:
    """How the (normalised, valid) draft ships from `stock`: from one warehouse, else split.

    Raises `OutOfStock` (409, the units short at the warehouse that lacks least) when no set of
    warehouses holds it all, `NoRouteAvailable` when none that does has a route, and
    `RouteNotEligible` when the merchant's `chosen_route` ships no part of the plan."""
    wanted = stock_wanted(draft)
    quote = order_quote(draft=draft, merchant_id=merchant_id, strategy=strategy, stock=stock)
    whole = _best_from_stock(quote, chosen_route)
    if whole is not None:
        return StockPlan(parts=(StockPart(whole.warehouse_code, tuple(sorted(wanted.items())), whole),), quote=quote)
    held: dict[str, dict[str, int]] = {}
    for row in stock:
        held.setdefault(row.warehouse_code, {})[row.sku] = row.quantity
    # A warehouse holding it all but offering no route (not shipping there, at capacity, no
    # carrier) leaves the split to the others; with none, the refusal is about routes, not stock.
    covered = any(all(units.get(sku, 0) >= qty for sku, qty in wanted.items()) for units in held.values())
    best: tuple | None = None
    tried = 0
    codes = sorted(held)
    for size in range(2, min(len(codes), MAX_SPLIT_WAREHOUSES) + 1):
        for combo in combinations(codes, size):
            allocation = _allocate(wanted, {code: held[code] for code in combo})
            if allocation is None:
                continue
            covered = True
            tried += 1
            parts = _route_parts(draft, merchant_id, strategy, chosen_route, allocation, held)
            if parts is not None:
                latest = max(p.option.delivery_latest or p.option.delivery_earliest for p in parts)
                key = (sum(p.option.price for p in parts), latest, combo)
                if best is None or key < best[0]:
                    best = (key, parts)
            if tried >= MAX_SPLIT_PLANS:
                break
        if best is not None or tried >= MAX_SPLIT_PLANS:
            break  # fewest packages first: a larger plan is never taken over a smaller one
    if best is not None:
        return StockPlan(parts=best[1], quote=quote)
    if not covered:
        detail = _shortest(wanted, held, warehouse)
        skus = ", ".join(sorted(detail["short"]))
        if warehouse != ANY_WAREHOUSE:
            message = gettext("Not enough stock at %(warehouse)s for %(skus)s.") % {
                "warehouse": warehouse,
                "skus": skus,
            }
        else:
            message = gettext("Not enough stock in your warehouses for %(skus)s.") % {"skus": skus}
        raise OutOfStock(message, extra=detail)
    _refuse_route(quote, chosen_route)
    raise AssertionError("unreachable")


def _best_from_stock(quote: RoutingResult, chosen_route: tuple[str, str] | None) -> RouteOption | None:
    from_stock = (o for o in quote.options if o.warehouse_code)
    if chosen_route:
        return next((o for o in from_stock if (o.carrier_code, o.service_code) == tuple(chosen_route)), None)
    return next(from_stock, None)


def _refuse_route(quote: RoutingResult, chosen_route: tuple[str, str] | None) -> None:
    if chosen_route and any(o.warehouse_code for o in quote.options):
        message = gettext("%(route)s does not ship this order from stock.") % {
            "route": f"{chosen_route[0]}/{chosen_route[1]}"
        }
        raise RouteNotEligible(
            message,
            extra={
                "carrier": chosen_route[0],
                "service": chosen_route[1],
                "reason": "not offered from a warehouse holding the stock",
                "fields": {"carrier_service": [message]},
            },
        )
    raise NoRouteAvailable(
        gettext("No carrier service ships this order from a warehouse holding its stock, whole or split."),
        extra={
            "exclusions": [
                {
                    "carrier": e.carrier_code,
                    "service": e.service_code,
                    "reason": e.reason,
                    "warehouse": e.warehouse_code,
                }
                for e in quote.exclusions
                if e.warehouse_code
            ]
        },
    )


def _allocate(wanted: dict[str, int], held: dict[str, dict[str, int]]) -> dict[str, dict[str, int]] | None:
    """Units per warehouse and SKU taking every wanted unit from `held`, each warehouse shipping
    something; None when they do not hold it all. A line stays whole in the warehouse holding the
    most of the order's lines whole, else it is spread, most available first."""
    whole_lines = {code: sum(units.get(sku, 0) >= qty for sku, qty in wanted.items()) for code, units in held.items()}
    preference = sorted(held, key=lambda code: (-whole_lines[code], code))
    out: dict[str, dict[str, int]] = {code: {} for code in held}
    for sku, qty in sorted(wanted.items()):
        whole = next((code for code in preference if held[code].get(sku, 0) >= qty), None)
        if whole is not None:
            out[whole][sku] = qty
            continue
        left = qty
        for code in sorted(held, key=lambda c: (-held[c].get(sku, 0), c)):
            take = min(left, held[code].get(sku, 0))
            if take:
                out[code][sku] = take
                left -= take
        if left:
            return None
    if any(not units for units in out.values()):
        return None  # a warehouse with nothing to ship: a smaller plan covers this one
    return out


def _route_parts(draft, merchant_id, strategy, chosen_route, allocation, held) -> tuple[StockPart, ...] | None:
    """Each warehouse's part routed on its own (its items, its share of the weight); None when a
    part has no route from its warehouse."""
    drafts = _part_drafts(draft, allocation)
    parts = []
    for code in sorted(allocation):
        stock = tuple(WarehouseStock(code, sku, held[code][sku]) for sku in sorted(allocation[code]))
        quote = order_quote(draft=drafts[code], merchant_id=merchant_id, strategy=strategy, stock=stock)
        option = _best_from_stock(quote, chosen_route)
        if option is None:
            return None
        parts.append(StockPart(code, tuple(sorted(allocation[code].items())), option))
    return tuple(parts)


def _part_drafts(draft: OrderDraft, allocation: dict[str, dict[str, int]]) -> dict[str, OrderDraft]:
    """The draft of each warehouse's part: the items it ships, each parcel's weight in proportion
    to the units of it the part takes (routing prices a part as its share of the order; the
    warehouse weighs what it packs, and the carrier is booked with that)."""
    left = {code: dict(units) for code, units in allocation.items()}
    parcels: dict[str, list[ParcelDraft]] = {code: [] for code in allocation}
    for parcel in draft.parcels:
        units = sum(item.quantity for item in parcel.items) or 1
        taken: dict[str, list[ItemDraft]] = {code: [] for code in allocation}
        for item in parcel.items:
            need = item.quantity
            for code in sorted(allocation):
                take = min(need, left[code].get(item.sku.strip(), 0))
                if take:
                    taken[code].append(replace(item, quantity=take))
                    left[code][item.sku.strip()] -= take
                    need -= take
        for code, items in taken.items():
            if items:
                share = sum(i.quantity for i in items)
                weight = max(1, math.ceil(parcel.weight_g * share / units))
                parcels[code].append(replace(parcel, weight_g=weight, items=tuple(items)))
    return {code: replace(draft, parcels=tuple(p)) for code, p in parcels.items()}


def _shortest(wanted: dict[str, int], held: dict[str, dict[str, int]], warehouse: str) -> dict:
    """What the order lacks at the named warehouse, or (any warehouse) in all of them together."""
    if warehouse != ANY_WAREHOUSE:
        units = held.get(warehouse, {})
        short = {sku: qty - units.get(sku, 0) for sku, qty in wanted.items() if qty > units.get(sku, 0)}
        return {"warehouse_code": warehouse, "short": short}
    total: dict[str, int] = {}
    for units in held.values():
        for sku, qty in units.items():
            total[sku] = total.get(sku, 0) + qty
    short = {sku: qty - total.get(sku, 0) for sku, qty in wanted.items() if qty > total.get(sku, 0)}
    return {"warehouse_code": "", "short": short}
