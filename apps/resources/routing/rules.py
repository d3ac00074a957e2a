"""The reference rules, one service at a time: one order's facts and the caches the rules share
(`Decision`), why a service cannot take the order (`check`), what it charges (`price`), and the
option a priced service makes (`route_option`). The column scan (lanes.py) must agree with `check`
and `price` on every service; exclusions take their reasons and options their breakdowns from here."""

from bisect import bisect_left
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from apps.resources.routing.compiling import CENT, Catalogue, Service, cents
from apps.resources.routing.specs import WarehouseSpec, normalize_postcode
from apps.resources.types import Reason, RouteOption, ShipmentProfile


class Decision:
    """One order's facts and the per-decision caches the rules share."""

    def __init__(self, cat: Catalogue, profile: ShipmentProfile, today: date):
        self.cat = cat
        self.rates = cat.usd_per_unit
        self.postcode = normalize_postcode(profile.destination_postcode)
        self.postcode_as_given = profile.destination_postcode
        self.destination = profile.destination_country
        self.weights = profile.parcel_weights_g
        self.parcels = len(self.weights)
        volumes = tuple(d.length_mm * d.width_mm * d.height_mm for d in profile.parcel_dims)
        self.volumes = volumes if len(volumes) == self.parcels else ()
        self.heaviest = max(self.weights, default=0)
        self.longest = max(
            [profile.longest_side_mm, *(max(d.length_mm, d.width_mm, d.height_mm) for d in profile.parcel_dims)]
        )
        self.level = profile.service_level
        self.value = profile.declared_value
        self.value_currency = profile.declared_currency.upper()
        self.contents = profile.contents
        self.quote = self.value_currency if self.value_currency in self.rates else "USD"
        self.today = today
        self._billable: dict[int, tuple[tuple[int, ...], int]] = {}
        self._values: dict[str, Decimal | None] = {}
        self._factors: dict[str, Decimal | None] = {}
        self._zones: dict[str, list[str]] = {}
        self._remote: dict[tuple[str, str], int | None] = {}
        self._days: dict[int, date] = {}

    def billable(self, divisor: int) -> tuple[tuple[int, ...], int]:
        """Billable grams per parcel at the divisor, and the started kilograms they make."""
        got = self._billable.get(divisor)
        if got is None:
            grams = self.weights
            if self.volumes:
                volumetric = tuple(max(w, -(-v // divisor)) for w, v in zip(self.weights, self.volumes, strict=True))
                if volumetric != grams:
                    grams = volumetric
            got = self._billable[divisor] = (grams, sum(-(-g // 1000) for g in grams))
        return got

    def value_in(self, currency: str) -> Decimal | None:
        if currency not in self._values:
            rates = self.rates
            if currency == self.value_currency:
                self._values[currency] = self.value
            elif currency in rates and self.value_currency in rates:
                self._values[currency] = self.value * rates[self.value_currency] / rates[currency]
            else:
                self._values[currency] = None
        return self._values[currency]

    def factor(self, currency: str) -> tuple[int, int] | None:
        """What one unit of `currency` is in the quote currency, as an exact fraction (None: no
        rate); worked out once per catalogue and pair of currencies."""
        if currency not in self._factors:
            pair = (currency, self.quote)
            if pair not in self.cat.factors:
                rate = self.rates.get(currency)
                ratio = None if rate is None else Fraction(rate) / Fraction(self.rates[self.quote])
                self.cat.factors[pair] = None if ratio is None else (ratio.numerator, ratio.denominator)
            self._factors[currency] = self.cat.factors[pair]
        return self._factors[currency]

    def zones(self, carrier_code: str) -> list[str]:
        got = self._zones.get(carrier_code)
        if got is None:
            got = self._zones[carrier_code] = [
                z.code
                for z in self.cat.zones.get(carrier_code, ())
                if self.destination in z.countries and z.area.contains(self.postcode)
            ]
        return got

    def remote_cents(self, carrier_code: str, currency: str) -> int | None:
        """The carrier's remote-area surcharge per parcel here, in cents of `currency`; None: no rate."""
        key = (carrier_code, currency)
        if key not in self._remote:
            total = Decimal("0")
            for sc in self.cat.surcharges.get(carrier_code, ()):
                if sc.country == self.destination and sc.area.contains(self.postcode):
                    if sc.currency == currency:
                        total += sc.amount
                    elif sc.currency in self.rates and currency in self.rates:
                        total += sc.amount * self.rates[sc.currency] / self.rates[currency]
                    else:
                        self._remote[key] = None
                        return None
            self._remote[key] = cents(total)
        return self._remote[key]

    def day(self, days: int) -> date:
        got = self._days.get(days)
        if got is None:
            got = self._days[days] = self.today + timedelta(days=days)
        return got


def check(d: Decision, s: Service, areas, blocked: frozenset[str]) -> str:
    """Why the open, level-matching service cannot take the order, or "" (docs/routing.md order)."""
    if s.carrier_code in blocked:
        return Reason("blocked", "blocked by the merchant")
    if areas is not None and not any(a.contains(d.postcode) for a in areas):
        return Reason("postcode_not_served", "does not serve postcode {postcode}", postcode=d.postcode_as_given)
    if d.heaviest > s.max_weight:
        return Reason(
            "too_heavy", "parcel of {grams} g exceeds the {limit} g limit", grams=d.heaviest, limit=s.max_weight
        )
    if d.longest > s.max_length:
        return Reason("too_long", "side of {mm} mm exceeds the {limit} mm limit", mm=d.longest, limit=s.max_length)
    if s.max_value is not None or s.min_value is not None:
        value = d.value_in(s.value_currency)
        cur = s.value_currency
        if value is None:
            missing = d.value_currency if d.value_currency not in d.rates else cur
            return Reason("no_rate", "no exchange rate for {currency}", currency=missing)
        if s.max_value is not None and value > s.max_value:
            return Reason(
                "value_too_high",
                "declared value {value} {currency} exceeds the {limit} {currency} limit",
                value=str(_money(value)),
                currency=cur,
                limit=str(s.max_value),
            )
        if s.min_value is not None and value < s.min_value:
            return Reason(
                "value_too_low",
                "declared value {value} {currency} is under the {minimum} {currency} minimum",
                value=str(_money(value)),
                currency=cur,
                minimum=str(s.min_value),
            )
    if d.contents and d.contents & s.refused:
        return Reason(
            "contents_refused", "does not accept {contents}", contents=", ".join(sorted(d.contents & s.refused))
        )
    return ""


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def price(d: Decision, s: Service, usage: dict, warehouse: WarehouseSpec | None) -> tuple | str:
    """What the service charges for the order, in integer cents: (quoted in the quote currency,
    total in its pricing currency, base, weight, fuel, remote area, handling, zone, billable grams,
    billed kg); or why it cannot take it (a rate card gap, a missing exchange rate, capacity)."""
    grams, kilos = d.billable(s.divisor)
    card = s.card
    if card is not None:
        zones = d._zones.get(s.carrier_code)
        if zones is None:
            zones = d.zones(s.carrier_code)
        for zone in zones:
            if zone in card:
                break
        else:
            return Reason(
                "no_zone",
                "no rate card zone for {country} {postcode}",
                country=d.destination,
                postcode=d.postcode_as_given,
            )
        bounds, prices, extra = card[zone]
        base = weight = 0
        last = bounds[-1]
        for g in grams:
            if g <= last:
                base += prices[bisect_left(bounds, g)]
            elif extra:
                base += prices[-1]
                weight += extra * -(-(g - last) // 1000)
            else:
                return Reason(
                    "over_rate_card", "rate card prices no parcel over {grams} g to zone {zone}", grams=last, zone=zone
                )
    else:
        zone = None
        base, weight = s.base_c * d.parcels, s.per_kg_c * kilos
    total = base + weight
    fuel = (total * s.fuel_bp + 5000) // 10000 if s.fuel_bp else 0
    if s.has_surcharges:
        remote = d.remote_cents(s.carrier_code, s.currency)
        if remote is None:
            return Reason("no_surcharge_rate", "no exchange rate for a remote-area surcharge")
        remote *= d.parcels
    else:
        remote = 0
    handling = 0
    if warehouse is not None:
        handling = handling_cents(d, warehouse, s.currency)
        if handling is None:
            return Reason("no_rate", "no exchange rate for {currency}", currency=warehouse.currency)
    total += fuel + remote + handling
    factor = d._factors.get(s.currency) or d.factor(s.currency)
    if factor is None:
        return Reason("no_rate", "no exchange rate for {currency}", currency=s.currency)
    if s.capacity is not None:
        used = usage.get(s.key, 0)
        if used >= s.capacity:
            return Reason("at_capacity", "at daily capacity ({used}/{capacity} today)", used=used, capacity=s.capacity)
    if s.currency == d.quote:
        quoted = total
    else:
        num, den = factor
        quoted = (2 * total * num + den) // (2 * den)  # cents, half up
    return (quoted, total, base, weight, fuel, remote, handling, zone, grams, kilos)


def handling_cents(d: Decision, warehouse: WarehouseSpec, currency: str) -> int | None:
    rates = d.rates
    if warehouse.currency not in rates or currency not in rates:
        return None
    return cents(warehouse.handling_fee * rates[warehouse.currency] / rates[currency])


def route_option(d: Decision, s: Service, warehouse: WarehouseSpec | None, delay: int, priced: tuple, score: float):
    """The RouteOption of a priced service, with its breakdown and delivery window."""
    quoted, total, base, weight, fuel, remote, handling, zone, grams, kilos = priced
    breakdown: dict = {"billed_kg": kilos}
    if grams is not d.weights:
        breakdown["billable_g"] = list(grams)  # volumetric weight counted
    if zone is not None:
        breakdown["zone"] = zone
    breakdown["base"], breakdown["weight"] = _fmt(base), _fmt(weight)
    if fuel:
        breakdown["fuel"] = _fmt(fuel)
    if remote:
        breakdown["remote_area"] = _fmt(remote)
    if warehouse is not None:
        breakdown["handling"] = _fmt(handling)
    breakdown["total"] = _fmt(total)
    converted = s.currency != d.quote
    if converted:
        breakdown["currency"] = s.currency
        breakdown["quote_currency"] = d.quote
        breakdown["quote_total"] = _fmt(quoted)
    return _new_option(
        {
            "carrier_code": s.carrier_code,
            "service_code": s.service_code,
            "service_level": s.level,
            "price": Decimal(quoted).scaleb(-2),
            "currency": d.quote,
            "transit_days_min": s.tmin + delay,
            "transit_days_max": s.tmax + delay,
            "breakdown": breakdown,
            "score": round(score, 4),
            "warehouse_code": warehouse.code if warehouse is not None else "",
            "delivery_earliest": d.day(s.tmin + delay),
            "delivery_latest": d.day(s.tmax + delay),
            "original_price": Decimal(total).scaleb(-2) if converted else None,
            "original_currency": s.currency if converted else "",
        }
    )


def _fmt(cents: int) -> str:
    # Exact for whole cents below 10^13: the nearest float to n/100 rounds back to n/100.
    return f"{cents / 100:.2f}"


def _new_option(fields: dict) -> RouteOption:
    """A RouteOption without the frozen dataclass's per-field __setattr__ (the hot path makes
    hundreds per decision); `fields` must name every field, as RouteOption(**fields) would."""
    option = object.__new__(RouteOption)
    option.__dict__.update(fields)
    return option
