"""The order of a decision's eligible services: best first by the strategy (docs/routing.md,
Strategies), and the on-time rate the `on_time` strategy ranks by."""

from bisect import bisect_right
from itertools import accumulate, chain

import numpy as np

from apps.resources.routing.compiling import Catalogue
from apps.resources.routing.rules import Decision, price, route_option
from apps.resources.routing.specs import Counters
from apps.resources.types import RouteOption

ON_TIME_PRIOR_WEIGHT = 20  # the staff's estimate counts as this many deliveries


def on_time_rate(*, on_time: int, delivered: int, prior: float) -> float:
    """The record, with the staff's estimate counting as ON_TIME_PRIOR_WEIGHT deliveries."""
    return (on_time + prior * ON_TIME_PRIOR_WEIGHT) / (delivered + ON_TIME_PRIOR_WEIGHT)


class Ranking:
    """The eligible services of every segment ranked best first by the strategy, on integer
    prices and days, then (carrier, service) and warehouse, so the order never ties: numpy's
    lexsort over scanned lanes, a plain sort when the reference rules decided every candidate
    (a few services: numpy's fixed cost would be most of the decision). Called with a rank, it
    builds that option by the reference rules."""

    def __init__(self, d: Decision, cat: Catalogue, found: list, strategy: str, prefs, counters: Counters):
        self.d, self.found, self.strategy, self.usage = d, found, strategy, counters.usage
        sizes = [len(segment.positions) for segment in found]
        self.count = sum(sizes)
        if not self.count:
            return
        self.offsets = list(accumulate(sizes, initial=0))
        parts = [segment.columns(cat, strategy, prefs, counters) for segment in found]
        columnar = any(segment.table is not None for segment in found)
        join = np.concatenate if columnar else lambda lists: list(chain.from_iterable(lists))
        quoted, tmax, tmin, ordinal, warehouse, lead = (join(column) for column in zip(*parts, strict=True))
        # Sort keys, the least significant first (numpy's lexsort order).
        tie = (warehouse, ordinal)
        if strategy == "fastest":
            keys = (*tie, quoted, tmin, tmax)
        elif strategy == "on_time":
            keys = (*tie, tmax, quoted, -lead if columnar else [-rate for rate in lead])  # best record first
        elif strategy == "preferred":
            keys = (*tie, tmax, quoted, lead)  # lead: not a preferred carrier
        else:
            keys = (*tie, tmax, quoted)
        if columnar:
            self.order = np.lexsort(keys)
        else:
            self.order = sorted(range(self.count), key=lambda j: tuple(key[j] for key in reversed(keys)))
        self.quoted, self.tmax, self.lead = quoted, tmax, lead
        if columnar:
            self.cheapest, self.fastest = int(quoted.min()), int(tmax.min())
        else:
            self.cheapest, self.fastest = min(quoted), min(tmax)

    def score(self, j: int) -> float:
        quoted = int(self.quoted[j])
        cheap = self.cheapest / quoted if quoted else 1.0
        if self.strategy == "fastest":
            tmax = int(self.tmax[j])
            return self.fastest / tmax if tmax else 1.0
        if self.strategy == "on_time":
            return float(self.lead[j])
        if self.strategy == "preferred":
            return (0.0 if self.lead[j] else 1.0) + cheap
        return cheap

    def __call__(self, rank: int) -> RouteOption:
        j = int(self.order[rank])
        k = bisect_right(self.offsets, j) - 1
        segment = self.found[k]
        s = segment.services[int(segment.positions[j - self.offsets[k]])]
        return route_option(
            self.d, s, segment.warehouse, segment.delay, price(self.d, s, self.usage, segment.warehouse), self.score(j)
        )
