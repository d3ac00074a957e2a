"""One lane's open services as numpy columns, so that checking and pricing a thousand services
for an order is a few dozen array operations instead of a Python loop over them (docs/routing.md,
Speed).

`rules.check` and `rules.price` stay the reference for the rules: they give exclusions
their reasons and the chosen options their breakdowns, and `LaneTable.scan` must agree with them
on every service (apps/resources/tests/test_lane_scan.py holds it to that on generated catalogues
and orders). A service the columns cannot express exactly (zones that depend on the postcode, a
value limit below the cent, more content categories than the bit mask holds) is left in
`LaneTable.by_reference` for the reference rules. Nothing here imports the rest of routing: the
order's facts come in as the decision object (`rules.Decision`), whose caches (billable weight
per divisor, value per currency, surcharges, exchange factors) the scan shares with the reference.
"""

from collections import defaultdict
from collections.abc import Callable
from decimal import ROUND_CEILING, ROUND_FLOOR

import numpy as np

INT = np.int64
NO_BOUND = np.iinfo(INT).max  # pads rate-card rows: no weight is above it
CLAMP = 2**62  # declared values in cents are clamped here; every limit is far below
EMPTY = np.zeros(0, INT)


def content_bits(refused_sets) -> dict[str, int]:
    """One bit per content category any service refuses (63 at most fit a column)."""
    names = sorted({c for refused in refused_sets for c in refused})
    return {name: 1 << i for i, name in enumerate(names[:62])}


def _cents_exactly(amount) -> int | None:
    scaled = amount.scaleb(2)
    return int(scaled) if scaled == scaled.to_integral_value() else None


def _column(values, dtype=INT) -> np.ndarray:
    return np.array(values, dtype=dtype)


# Below this many services a lane is decided one service at a time: numpy's fixed cost per
# decision (a few dozen calls, ~0.1 ms) is more than the reference rules' loop costs them.
COLUMNS_FROM = 64


class LaneTable:
    """The services open on one lane (optionally of one level), in (carrier, service) order."""

    def __init__(self, services: list, *, lane: tuple, zones: dict, surcharges: dict, bits: dict, columns_from: int):
        destination = lane[1]
        self._bits = bits
        self.by_reference: list = []
        rows: list = []  # (service, zone prices or None, value limits in cents)
        if len(services) < columns_from:
            self.by_reference, services = list(services), []
        for s in services:
            zone = self._static_zone(s, destination, zones)
            limits = [None if v is None else _cents_exactly(v) for v in (s.min_value, s.max_value)]
            expressible = zone is not False and all(
                (v is None) == (c is None) for v, c in zip((s.min_value, s.max_value), limits, strict=True)
            )
            if not expressible or any(c not in bits for c in s.refused):
                self.by_reference.append(s)
            elif zone is not None or s.card is None:  # a card without a zone here never prices
                rows.append((s, zone, limits))
        self.services = [s for s, _, _ in rows]
        self.size = n = len(rows)
        self.carriers = sorted({s.carrier_code for s in self.services})
        self.carrier_pos = {code: i for i, code in enumerate(self.carriers)}
        self.carrier_idx = _column([self.carrier_pos[s.carrier_code] for s in self.services])
        self.max_weight = _column([s.max_weight for s in self.services])
        self.max_length = _column([s.max_length for s in self.services])
        self.ordinal = _column([s.ordinal for s in self.services])
        self.tmin = _column([s.tmin for s in self.services])
        self.tmax = _column([s.tmax for s in self.services])
        self.refused = _column([sum(bits[c] for c in s.refused) for s in self.services])
        self.fuel_bp = _column([s.fuel_bp for s in self.services])
        self.has_cap = _column([s.capacity is not None for s in self.services], bool)
        self.cap = _column([s.capacity or 0 for s in self.services])
        self.keys = [s.key for s in self.services]

        # Postcode-limited coverage: each distinct set of areas is tested once per order.
        groups: dict[tuple, list[int]] = defaultdict(list)
        for i, s in enumerate(self.services):
            areas = s.lanes[(lane[0], lane[1])]
            if areas is not None:
                groups[areas].append(i)
        self.area_groups = [(areas, _column(idx)) for areas, idx in groups.items()]

        self.value_currencies = sorted(
            {s.value_currency for s, _, (lo, hi) in rows if lo is not None or hi is not None}
        )
        value_pos = {c: i for i, c in enumerate(self.value_currencies)}
        self.value_cur = _column([value_pos.get(s.value_currency, 0) for s in self.services])
        self.has_min = _column([lo is not None for _, _, (lo, _hi) in rows], bool)
        self.has_max = _column([hi is not None for _, _, (_lo, hi) in rows], bool)
        self.min_c = _column([lo or 0 for _, _, (lo, _hi) in rows])
        self.max_c = _column([hi or 0 for _, _, (_lo, hi) in rows])

        self.divisors = sorted({s.divisor for s in self.services})
        divisor_pos = {v: i for i, v in enumerate(self.divisors)}
        self.divisor_idx = _column([divisor_pos[s.divisor] for s in self.services])

        self.currencies = sorted({s.currency for s in self.services})
        currency_pos = {c: i for i, c in enumerate(self.currencies)}
        currency_idx = _column([currency_pos[s.currency] for s in self.services])
        self.currency_rows = [np.flatnonzero(currency_idx == k) for k in range(len(self.currencies))]

        # Rate-card rows (the zone this lane prices in), padded to the widest; fallback prices.
        width = max([len(zone[0]) for _, zone, _ in rows if zone is not None], default=1)
        bounds = np.full((n, width), NO_BOUND, INT)
        prices = np.zeros((n, width), INT)
        last, last_price, extra = np.full(n, NO_BOUND, INT), np.zeros(n, INT), np.zeros(n, INT)
        for i, (_s, zone, _) in enumerate(rows):
            if zone is not None:
                zone_bounds, zone_prices, zone_extra = zone
                bounds[i, : len(zone_bounds)] = zone_bounds
                prices[i, : len(zone_prices)] = zone_prices
                last[i], last_price[i], extra[i] = zone_bounds[-1], zone_prices[-1], zone_extra
        self.bounds, self.prices, self.last, self.last_price, self.extra = bounds, prices, last, last_price, extra
        self.has_card = _column([s.card is not None for s in self.services], bool)
        self.any_card = bool(self.has_card.any())
        self.base_c = _column([s.base_c for s in self.services])
        self.per_kg_c = _column([s.per_kg_c for s in self.services])
        self.rows = np.arange(n)

        # Remote-area surcharges: only carriers with one in this destination country can add any.
        remote: dict[tuple[str, str], list[int]] = defaultdict(list)
        for i, s in enumerate(self.services):
            if any(sc.country == destination for sc in surcharges.get(s.carrier_code, ())):
                remote[(s.carrier_code, s.currency)].append(i)
        self.remote_groups = [(code, currency, _column(idx)) for (code, currency), idx in remote.items()]

        self._usage: tuple = (None, None)
        self._records: tuple = (None, None)

    @staticmethod
    def _static_zone(s, destination: str, zones: dict):
        """The rate-card zone row the service prices this destination in, whatever the postcode;
        None: the card has no zone here; False: the zone depends on the postcode."""
        if s.card is None:
            return None
        matching = [z for z in zones.get(s.carrier_code, ()) if destination in z.countries]
        if any(not z.area.whole_country for z in matching):
            return False
        return next((s.card[z.code] for z in matching if z.code in s.card), None)

    def used_today(self, usage: dict) -> np.ndarray:
        """Orders accepted today per service; kept while the counters' dict is the same one."""
        seen, used = self._usage
        if seen is not usage:
            used = _column([usage.get(key, 0) for key in self.keys])
            self._usage = (usage, used)
        return used

    def on_time_rates(self, records: dict, priors: dict, rate: Callable) -> np.ndarray:
        seen, rates = self._records
        if seen is not records:
            rates = _column(
                [
                    rate(on_time=on_time, delivered=delivered, prior=priors[key])
                    for key in self.keys
                    for on_time, delivered in (records.get(key, (0, 0)),)
                ],
                np.float64,
            )
            self._records = (records, rates)
        return rates

    def scan(
        self,
        d,
        *,
        blocked: frozenset[str],
        usage: dict,
        carriers: frozenset[str] | None = None,
        handling: Callable[[str], int | None] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The positions of the services that take the order, and what each charges in cents of
        the quote currency. `carriers` keeps only those carriers' services (a warehouse's);
        `handling(currency)` is a fee in cents to add (None: no exchange rate)."""
        if not self.size:
            return EMPTY, EMPTY
        ok = (self.max_weight >= d.heaviest) & (self.max_length >= d.longest)
        if blocked or carriers is not None:
            allowed = np.ones(len(self.carriers), bool)
            for code in blocked:
                if code in self.carrier_pos:
                    allowed[self.carrier_pos[code]] = False
            if carriers is not None:
                allowed &= _column([code in carriers for code in self.carriers], bool)
            ok &= allowed[self.carrier_idx]
        for areas, idx in self.area_groups:
            if not any(a.contains(d.postcode) for a in areas):
                ok[idx] = False
        if self.value_currencies:
            self._within_value_limits(d, ok)
        if d.contents:
            wanted = sum(self._bits.get(c, 0) for c in d.contents)
            if wanted:
                ok &= (self.refused & wanted) == 0
        ok &= ~self.has_cap | (self.used_today(usage) < self.cap)

        total = self._carriage(d, ok)
        total += (total * self.fuel_bp + 5000) // 10000
        for code, currency, idx in self.remote_groups:
            cents = d.remote_cents(code, currency)
            if cents is None:
                ok[idx] = False
            else:
                total[idx] += cents * d.parcels
        quoted = np.zeros(self.size, INT)
        for k, currency in enumerate(self.currencies):
            rows = self.currency_rows[k]
            if handling is not None:
                fee = handling(currency)
                if fee is None:
                    ok[rows] = False
                    continue
                total[rows] += fee
            factor = d.factor(currency)
            if factor is None:
                ok[rows] = False
            elif currency == d.quote:
                quoted[rows] = total[rows]
            else:
                quoted[rows] = _convert(total[rows], *factor)
        positions = np.flatnonzero(ok)
        return positions, quoted[positions]

    def _within_value_limits(self, d, ok: np.ndarray) -> None:
        count = len(self.value_currencies)
        known = np.ones(count, bool)
        ceiling, floor = np.zeros(count, INT), np.zeros(count, INT)
        for k, currency in enumerate(self.value_currencies):
            value = d.value_in(currency)
            if value is None:
                known[k] = False
                continue
            # value > limit and value < minimum compared exactly: the limits are whole cents.
            scaled = value.scaleb(2)
            ceiling[k] = max(-CLAMP, min(CLAMP, int(scaled.to_integral_value(ROUND_CEILING))))
            floor[k] = max(-CLAMP, min(CLAMP, int(scaled.to_integral_value(ROUND_FLOOR))))
        k = self.value_cur
        limited = self.has_min | self.has_max
        ok &= ~limited | known[k]
        ok &= ~self.has_max | (ceiling[k] <= self.max_c)
        ok &= ~self.has_min | (floor[k] >= self.min_c)

    def _carriage(self, d, ok: np.ndarray) -> np.ndarray:
        """Base and weight price per service in cents of its currency; rows a card cannot price
        (a parcel above the last break without a per-kg rate) are struck from `ok`."""
        billable = [d.billable(divisor) for divisor in self.divisors]
        kilos = _column([k for _, k in billable])[self.divisor_idx]
        fallback = self.base_c * d.parcels + self.per_kg_c * kilos
        if not self.any_card:
            return fallback
        grams = _column([g for g, _ in billable])[self.divisor_idx]  # (services, parcels)
        card = np.zeros(self.size, INT)
        last = self.last
        for p in range(d.parcels):
            g = grams[:, p]
            within = g <= last
            position = np.minimum((self.bounds < g[:, None]).sum(axis=1), self.bounds.shape[1] - 1)
            card += np.where(within, self.prices[self.rows, position], self.last_price)
            if not within.all():
                over = ~within
                card += np.where(over, self.extra * ((g - np.minimum(last, g) + 999) // 1000), 0)
                ok &= ~(over & (self.extra == 0))
        return np.where(self.has_card, card, fallback)


def _convert(cents: np.ndarray, num: int, den: int) -> np.ndarray:
    """cents * num / den, rounded half up, exactly (Python integers where int64 could overflow)."""
    if cents.size and 2 * int(cents.max()) * num + den < CLAMP:
        return (2 * cents * num + den) // (2 * den)
    return _column([(2 * int(c) * num + den) // (2 * den) for c in cents])
