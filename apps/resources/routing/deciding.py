"""The routing decision: every eligible option for one order, ranked by the strategy, and every
excluded service and warehouse with the reason, worked out when first read."""

from datetime import datetime

from apps.resources.routing.compiling import Catalogue, static_reason
from apps.resources.routing.ranking import Ranking
from apps.resources.routing.rules import Decision, check, price
from apps.resources.routing.scanning import scan
from apps.resources.routing.specs import NO_COUNTERS, Counters, WarehouseSpec, after_cutoff
from apps.resources.types import (
    STRATEGIES,
    Exclusion,
    MerchantPreferences,
    RankedOptions,
    Reason,
    RoutingResult,
    ShipmentProfile,
    WarehouseStock,
)

NO_PREFERENCES = MerchantPreferences()


def decide(
    cat: Catalogue,
    *,
    profile: ShipmentProfile,
    strategy: str = "cheapest",
    preferences: MerchantPreferences | None = None,
    stock: tuple[WarehouseStock, ...] = (),
    counters: Counters = NO_COUNTERS,
    now: datetime,
) -> RoutingResult:
    """Every eligible option ranked by the strategy. Services are checked, priced and ranked as
    columns (lanes.py); an option (breakdown, delivery window, Decimal prices) is built by the
    reference rules when first read, and the exclusions, each with its reason, are worked out when
    first read: intake reads one option and no exclusion, the quote page reads them all."""
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; choose one of {', '.join(STRATEGIES)}")
    prefs = preferences or NO_PREFERENCES
    blocked, usage = prefs.blocked_carriers, counters.usage
    d = Decision(cat, profile, now.date())
    lane = (profile.origin_country, profile.destination_country)
    found = scan(d, cat.tables.get(_lane_key(lane, d.level)), lane, blocked=blocked, usage=usage)
    warehouse_exclusions: list[Exclusion] = []
    stocked = stocked_warehouses(cat, profile, stock, warehouse_exclusions, counters.warehouse_usage)
    # A warehouse past today's cut-off (where it is) ships a day later, so it is offered only when
    # no other warehouse holding the order ships it today; otherwise it is excluded, saying so.
    today = [w for w in stocked if not after_cutoff(w, now)]
    late = [w for w in stocked if after_cutoff(w, now)]
    shipping_today: list[str] = []
    for w in today:
        segments = _scan_warehouse(d, cat, profile, w, blocked, usage, delay=0)
        if any(len(segment.positions) for segment in segments):
            shipping_today.append(w.code)
        found += segments
    for w in late:
        if shipping_today:
            reason = Reason(
                "past_cutoff",
                "past its cut-off ({cutoff} {timezone}); {warehouses} ships it today",
                cutoff=f"{w.cutoff:%H:%M}",
                timezone=str(w.timezone),
                warehouses=", ".join(shipping_today),
            )
            warehouse_exclusions.append(Exclusion("", "", reason, w.code))
        else:
            found += _scan_warehouse(d, cat, profile, w, blocked, usage, delay=1)
    scanned = today + ([] if shipping_today else late)
    offering = {segment.warehouse.code for segment in found if segment.warehouse and len(segment.positions)}
    for w in scanned:
        if w.code not in offering:
            reason = Reason(
                "no_carrier_from_warehouse",
                "no carrier from there takes the order (hands parcels to {carriers})",
                carriers=", ".join(sorted(w.carriers)) or "none",
            )
            warehouse_exclusions.append(Exclusion("", "", reason, w.code))
    found = [segment for segment in found if len(segment.positions)]
    build = Ranking(d, cat, found, strategy, prefs, counters)

    def explain() -> list[Exclusion]:
        # Every service in (carrier, service) order with the first rule it fails, then warehouses.
        offered = {
            (segment.services[i].key, segment.warehouse.code if segment.warehouse else "")
            for segment in found
            for i in segment.positions
        }
        out = []
        off_lane = Reason(
            "lane_not_served", "does not serve {origin}→{destination}", origin=lane[0], destination=lane[1]
        )
        for spec in cat.services:
            if (spec.key, "") in offered:
                continue
            why = static_reason(spec)
            if not why and d.level and spec.level != d.level:
                why = Reason("other_level", "service level is {level}, not {wanted}", level=spec.level, wanted=d.level)
            if not why and lane not in spec.lanes:
                why = off_lane
            if not why:
                s = cat.compiled[spec.key]
                why = check(d, s, s.lanes[lane], blocked) or price(d, s, usage, None)
            out.append(Exclusion(spec.carrier_code, spec.service_code, why))
        out += warehouse_exclusions
        for w in scanned:
            w_lane = (w.country, profile.destination_country)
            for s in cat.by_lane.get(_lane_key(w_lane, d.level), ()):
                if s.carrier_code in w.carriers and (s.key, w.code) not in offered:
                    why = check(d, s, s.lanes[w_lane], blocked) or price(d, s, usage, w)
                    out.append(Exclusion(s.carrier_code, s.service_code, why, w.code))
        return out

    return RoutingResult(options=RankedOptions(build.count, build), strategy=strategy, explain=explain)


def _scan_warehouse(d: Decision, cat: Catalogue, profile: ShipmentProfile, w: WarehouseSpec, blocked, usage, *, delay):
    w_lane = (w.country, profile.destination_country)
    table = cat.tables.get(_lane_key(w_lane, d.level))
    return scan(d, table, w_lane, blocked=blocked, usage=usage, warehouse=w, delay=delay)


def stocked_warehouses(
    cat: Catalogue,
    profile: ShipmentProfile,
    stock: tuple[WarehouseStock, ...],
    exclusions: list[Exclusion],
    used: dict[str, int],
) -> list[WarehouseSpec]:
    """Warehouses that hold every SKU of the order in quantity, ship to its destination and have
    not reached their daily capacity (`used`: orders accepted today per warehouse)."""
    if not stock or not profile.skus:
        return []
    held: dict[str, dict[str, int]] = {}
    for row in stock:
        held.setdefault(row.warehouse_code, {})
        held[row.warehouse_code][row.sku] = held[row.warehouse_code].get(row.sku, 0) + row.quantity
    out = []
    for w in cat.warehouses:
        if w.code not in held or not w.is_active:
            continue
        short = [sku for sku, qty in profile.skus if held[w.code].get(sku, 0) < qty]
        if short:
            reason = Reason("warehouse_short", "warehouse lacks stock of {skus}", skus=", ".join(short))
            exclusions.append(Exclusion("", "", reason, w.code))
        elif profile.destination_country not in w.ships_to:
            reason = Reason(
                "warehouse_not_shipping_to", "warehouse does not ship to {country}", country=profile.destination_country
            )
            exclusions.append(Exclusion("", "", reason, w.code))
        elif w.daily_capacity is not None and used.get(w.code, 0) >= w.daily_capacity:
            reason = Reason(
                "warehouse_at_capacity",
                "warehouse at daily capacity ({used}/{capacity} today)",
                used=used.get(w.code, 0),
                capacity=w.daily_capacity,
            )
            exclusions.append(Exclusion("", "", reason, w.code))
        else:
            out.append(w)
    return out


def _lane_key(lane: tuple[str, str], level: str) -> tuple:
    """The key of `Catalogue.by_lane` and `tables`: the lane, with the level when one is asked."""
    return (*lane, level) if level else lane
