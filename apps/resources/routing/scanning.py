"""A lane's services that take an order, directly or from one warehouse: the lane's columns
(lanes.py), and by the reference rules (rules.py) the services the columns leave to them."""

from dataclasses import dataclass

import numpy as np

from apps.resources.routing.compiling import Catalogue
from apps.resources.routing.lanes import LaneTable
from apps.resources.routing.ranking import on_time_rate
from apps.resources.routing.rules import Decision, check, handling_cents, price
from apps.resources.routing.specs import Counters, WarehouseSpec
from apps.resources.types import MerchantPreferences


@dataclass(slots=True)
class Segment:
    """Services of one lane that take the order, directly or from one warehouse: `positions`
    into `services` and what each charges in quote-currency cents; numpy arrays when `table`
    scanned them, lists when the reference rules decided them."""

    services: list
    positions: np.ndarray | list[int]
    quoted: np.ndarray | list[int]
    table: LaneTable | None
    warehouse: WarehouseSpec | None = None
    delay: int = 0

    def chosen(self) -> list:
        return [self.services[i] for i in self.positions]

    def columns(self, cat: Catalogue, strategy: str, prefs: MerchantPreferences, counters: Counters) -> tuple:
        """Quoted cents, latest and earliest day, (carrier, service) ordinal, warehouse rank (0:
        direct) and the strategy's leading key: the on-time rate, or whether the carrier is not
        preferred."""
        table, at, delay = self.table, self.positions, self.delay
        rank = cat.warehouse_rank[self.warehouse.code] if self.warehouse else 0
        if table is not None:
            if strategy == "on_time":
                lead = table.on_time_rates(counters.records, cat.priors, on_time_rate)[at]
            elif strategy == "preferred":
                others = np.array([c not in prefs.preferred_carriers for c in table.carriers], bool)
                lead = others[table.carrier_idx[at]]
            else:
                lead = np.zeros(at.size, bool)
            days = (table.tmax[at] + delay, table.tmin[at] + delay)
            return self.quoted, *days, table.ordinal[at], np.full(at.size, rank), lead
        chosen = self.chosen()
        if strategy == "on_time":
            lead = [_rate(cat, counters, s.key) for s in chosen]
        elif strategy == "preferred":
            lead = [s.carrier_code not in prefs.preferred_carriers for s in chosen]
        else:
            lead = [False] * len(chosen)
        return (
            self.quoted,
            [s.tmax + delay for s in chosen],
            [s.tmin + delay for s in chosen],
            [s.ordinal for s in chosen],
            [rank] * len(chosen),
            lead,
        )


def scan(
    d: Decision,
    table: LaneTable | None,
    areas_of: tuple,
    *,
    blocked: frozenset[str],
    usage: dict,
    warehouse: WarehouseSpec | None = None,
    delay: int = 0,
) -> list[Segment]:
    """The lane's eligible services: the table's columns, and by the reference rules the services
    the columns leave to them."""
    if table is None:
        return []
    carriers = warehouse.carriers if warehouse is not None else None
    handling = (lambda currency: handling_cents(d, warehouse, currency)) if warehouse is not None else None
    positions, quoted = table.scan(d, blocked=blocked, usage=usage, carriers=carriers, handling=handling)
    found = [Segment(table.services, positions, quoted, table, warehouse, delay)]
    if table.by_reference:
        chosen, prices = [], []
        for i, s in enumerate(table.by_reference):
            if carriers is not None and s.carrier_code not in carriers:
                continue
            got = check(d, s, s.lanes[areas_of], blocked) or price(d, s, usage, warehouse)
            if got.__class__ is tuple:  # a price; a reason (types.Reason, a str) is a refusal
                chosen.append(i)
                prices.append(got[0])
        found.append(Segment(table.by_reference, chosen, prices, None, warehouse, delay))
    return found


def _rate(cat: Catalogue, counters: Counters, key: tuple[str, str]) -> float:
    on_time, delivered = counters.records.get(key, (0, 0))
    return on_time_rate(on_time=on_time, delivered=delivered, prior=cat.priors[key])
