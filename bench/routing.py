"""Routing decisions per second and per-decision p50/p99, in-process, on two catalogues:

- the benchmark catalogue: 200 carriers x 50 services (10,000 services) with rate cards (5 zones
  x 6 weight breaks each), remote-area surcharges, four currencies, value and content limits,
  daily capacities and postcode-limited regional carriers;
- the demo catalogue of `seed_demo` (3 carriers, 5 services).

Each timed decision is what intake does: `decide`, then read the best option (options are built
when first read). Once per catalogue it also times a decision whose every option and every
exclusion is read, as the quote page and `POST /api/v1/rates/` do.

Both are built in memory through `compile_catalogue`, the function that compiles the database's
rows (apps/resources/catalogue.py), and decided by `decide`, the function behind
`selectors.route_options` (which adds only a version check at most once a second per process).

With --db it also writes the benchmark catalogue into the database `logistics_bench_routing`
(created and migrated if missing, its catalogue tables emptied first) and times
`catalogue.build_catalogue()`, the rebuild every process does after a catalogue write.

.venv/bin/python bench/routing.py [--decisions 5000] [--db]
"""

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
import timeit
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "logistics_bench_routing"
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "logistics.settings.dev")
if "--db" in sys.argv:
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{DB_NAME}"
    for command in (["ensure_database"], ["migrate", "--noinput", "-v0"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=os.environ, check=True)

import django  # noqa: E402

django.setup()

from apps.resources.routing import (  # noqa: E402
    Area,
    Counters,
    ServiceSpec,
    SurchargeSpec,
    WarehouseSpec,
    ZonePrices,
    ZoneSpec,
    compile_catalogue,
    decide,
)
from apps.resources.types import (  # noqa: E402
    STRATEGIES,
    MerchantPreferences,
    ParcelDims,
    ShipmentProfile,
    WarehouseStock,
)
from logistics.management.commands.seed_demo import CARRIERS  # noqa: E402

COUNTRIES = [
    "DE", "FR", "NL", "ES", "IT", "BE", "AT", "PL", "GB", "US", "CA", "AU", "JP", "KR", "BR", "MX", "SE", "DK",
    "CH", "IE", "PT", "CZ", "HU", "RO", "GR", "FI", "NO", "NZ", "SG", "MY", "TH", "VN", "ID", "PH", "IN", "AE",
    "SA", "IL", "ZA", "CL",
]  # fmt: skip
ORIGINS = ["CN", "HK", "US"]
LEVELS = ["express", "standard", "economy"]
CURRENCIES = {"USD": Decimal("1"), "EUR": Decimal("1.08"), "GBP": Decimal("1.27"), "CNY": Decimal("0.138")}
BREAKS = [500, 1000, 2000, 5000, 10000, 20000]
CONTENTS = ["batteries", "liquids", "magnets"]


def bench_catalogue(rng: random.Random, *, carriers: int = 200, services: int = 50, global_carriers: int = 40):
    """Global carriers serve every destination from CN and HK; regional ones 4 home countries from
    two origins, a third of them only some postcodes. Each service covers a random half of its
    carrier's lanes."""
    specs, zones, surcharges = [], {}, {}
    for c in range(carriers):
        code = f"carrier-{c:03d}"
        is_global = c < global_carriers
        destinations = COUNTRIES if is_global else rng.sample(COUNTRIES, 4)
        origins = ["CN", "HK"] if is_global else rng.sample(ORIGINS, 2)
        regional_area = Area.of([f"{rng.randint(1, 9)}"]) if not is_global and rng.random() < 0.33 else Area()
        chunk = max(1, len(destinations) // 5)
        zones[code] = [
            ZoneSpec(code=f"z{z}", countries=frozenset(destinations[z * chunk : (z + 1) * chunk] or destinations))
            for z in range(5)
        ]
        zones[code].append(ZoneSpec(code="rest", countries=frozenset(destinations)))
        surcharges[code] = [
            SurchargeSpec(
                name="remote area",
                country=rng.choice(destinations),
                area=Area.of([], [f"{rng.randint(10, 89)}000-{rng.randint(90, 99)}999"]),
                amount=Decimal("3.50"),
                currency="USD",
            )
        ]
        currency = rng.choice(list(CURRENCIES))
        for s in range(services):
            lanes = {(o, d): [regional_area] for o in origins for d in destinations if rng.random() < 0.5}
            fast = rng.randint(1, 8)
            card = {
                z.code: ZonePrices(
                    bounds=list(BREAKS),
                    prices=[Decimal(rng.randint(300, 900) * (i + 1)) / 100 for i in range(len(BREAKS))],
                    extra_per_kg=Decimal(rng.randint(50, 400)) / 100 if rng.random() < 0.8 else Decimal("0"),
                )
                for z in zones[code]
            }
            specs.append(
                ServiceSpec(
                    carrier_code=code,
                    service_code=f"svc-{s:02d}",
                    level=LEVELS[s % 3],
                    transit_days_min=fast,
                    transit_days_max=fast + rng.randint(1, 10),
                    max_weight_g=rng.choice([5000, 10000, 30000, 70000]),
                    currency=currency,
                    carrier_status="active" if rng.random() < 0.95 else "suspended",
                    max_length_mm=rng.choice([600, 1200, 1500]),
                    volumetric_divisor=rng.choice([5000, 6000, 8000]),
                    fuel_pct=Decimal(rng.randint(0, 25)),
                    max_value=Decimal(rng.choice([200, 1000, 5000])) if rng.random() < 0.3 else None,
                    refused_contents=frozenset(rng.sample(CONTENTS, rng.randint(0, 2))),
                    daily_capacity=rng.choice([None, None, 1000, 50]),
                    on_time_prior=rng.uniform(0.7, 0.99),
                    card=card,
                    card_currency=currency,
                    lanes=lanes,
                )
            )
    warehouses = [
        WarehouseSpec(
            code=f"wh-{w}",
            country=rng.choice(ORIGINS),
            ships_to=frozenset(rng.sample(COUNTRIES, 20)),
            carriers=frozenset(f"carrier-{rng.randrange(carriers):03d}" for _ in range(5)),
            handling_fee=Decimal("1.20"),
            currency="USD",
        )
        for w in range(10)
    ]
    return compile_catalogue(
        services=specs, zones=zones, surcharges=surcharges, usd_per_unit=CURRENCIES, warehouses=warehouses
    )


def demo_catalogue():
    specs = []
    for carrier in CARRIERS:
        for code, _name, level, days, max_g, base, per_kg, lanes in carrier["services"]:
            service_lanes = {}
            for o, d, prefixes in lanes:
                service_lanes.setdefault((o, d), []).append(Area.of(prefixes))
            specs.append(
                ServiceSpec(
                    carrier_code=carrier["code"],
                    service_code=code,
                    level=level,
                    transit_days_min=days[0],
                    transit_days_max=days[1],
                    max_weight_g=max_g,
                    currency="USD",
                    base_price=base,
                    price_per_kg=per_kg,
                    lanes=service_lanes,
                )
            )
    return compile_catalogue(services=specs, usd_per_unit=CURRENCIES)


def orders(rng: random.Random, count: int, countries: list[str]):
    out = []
    for _ in range(count):
        parcels = rng.choice([1, 1, 1, 2, 3])
        dims = tuple(
            ParcelDims(rng.randint(100, 600), rng.randint(100, 400), rng.randint(50, 300)) for _ in range(parcels)
        )
        out.append(
            (
                ShipmentProfile(
                    origin_country=rng.choice(["CN", "CN", "HK"]),
                    destination_country=rng.choice(countries),
                    destination_postcode=f"{rng.randint(10000, 99999)}",
                    parcel_weights_g=tuple(rng.randint(100, 15000) for _ in range(parcels)),
                    longest_side_mm=max(max(d.length_mm, d.width_mm, d.height_mm) for d in dims),
                    service_level=rng.choice(["", *LEVELS, *LEVELS]),
                    parcel_dims=dims,
                    declared_value=Decimal(rng.randint(5, 3000)),
                    declared_currency=rng.choice(["USD", "USD", "EUR", "GBP"]),
                    contents=frozenset(rng.sample(CONTENTS, rng.choice([0, 0, 0, 1]))),
                    skus=(("SKU-1", 1),),
                ),
                rng.choice(STRATEGIES),
                MerchantPreferences(
                    preferred_carriers=frozenset({f"carrier-{rng.randrange(200):03d}"}),
                    blocked_carriers=frozenset({f"carrier-{rng.randrange(200):03d}"}),
                ),
                (WarehouseStock(f"wh-{rng.randrange(10)}", "SKU-1", 3),),
            )
        )
    return out


def _pct(times: list[float], q: float) -> float:
    return times[max(0, int(len(times) * q) - 1)] * 1000


def run(catalogue, decisions, counters) -> dict:
    now = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    times, by_level, options, candidates = [], {True: [], False: []}, 0, 0
    started = time.perf_counter()
    for profile, strategy, prefs, stock in decisions:
        t = time.perf_counter()
        result = decide(
            catalogue, profile=profile, strategy=strategy, preferences=prefs, stock=stock, counters=counters, now=now
        )
        if result.options:
            result.options[0]  # the route intake takes: built on first read
        elapsed = time.perf_counter() - t
        times.append(elapsed)
        by_level[bool(profile.service_level)].append(elapsed)
        options += len(result.options)
        candidates += len(catalogue.by_lane.get((profile.origin_country, profile.destination_country), ()))
    elapsed = time.perf_counter() - started
    times.sort()
    for v in by_level.values():
        v.sort()
    t = time.perf_counter()
    explained = len(decide(catalogue, profile=decisions[0][0], now=now).exclusions)
    explain_ms = (time.perf_counter() - t) * 1000
    t = time.perf_counter()
    listed = len(tuple(decide(catalogue, profile=decisions[0][0], now=now).options))
    list_ms = (time.perf_counter() - t) * 1000
    return {
        "decisions/s": len(decisions) / elapsed,
        "p50 ms": statistics.median(times) * 1000,
        "p99 ms": _pct(times, 0.99),
        "max ms": times[-1] * 1000,
        "p99 ms with a service level": _pct(by_level[True], 0.99) if by_level[True] else 0,
        "p99 ms any level": _pct(by_level[False], 0.99) if by_level[False] else 0,
        "open services on the lane (avg)": candidates / len(decisions),
        "options (avg)": options / len(decisions),
        f"decision + building all its {listed:,} options ms": list_ms,
        f"decision + reading its {explained:,} exclusions ms": explain_ms,
    }


def write_to_database(cat) -> float:
    """Store the in-memory catalogue as rows; return the seconds `build_catalogue` takes to read
    and compile them back."""
    from django.db import connection, transaction

    from apps.resources.catalogue import build_catalogue
    from apps.resources.models import Carrier, CarrierService, Coverage, RateBreak, RateCard, Zone

    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE resources_carrier, resources_ratebreak RESTART IDENTITY CASCADE")
        carriers = Carrier.objects.bulk_create(
            Carrier(code=code, name=code, endpoint_url="http://127.0.0.1:1/")
            for code in sorted({s.carrier_code for s in cat.services})
        )
        carrier_of = {c.code: c for c in carriers}
        zones = Zone.objects.bulk_create(
            Zone(carrier=carrier_of[code], code=z.code, countries=sorted(z.countries))
            for code, specs in cat.zones.items()
            for z in specs
        )
        zone_of = {(z.carrier.code, z.code): z for z in zones}
        services = CarrierService.objects.bulk_create(
            CarrierService(
                carrier=carrier_of[s.carrier_code],
                code=s.service_code,
                name=s.service_code,
                level=s.level,
                transit_days_min=s.transit_days_min,
                transit_days_max=s.transit_days_max,
                max_weight_g=s.max_weight_g,
                max_length_mm=s.max_length_mm,
                base_price=s.base_price,
                price_per_kg=s.price_per_kg,
                currency=s.currency,
                volumetric_divisor=s.volumetric_divisor,
                fuel_surcharge_pct=s.fuel_pct,
                max_declared_value=s.max_value,
                refused_contents=sorted(s.refused_contents),
                daily_capacity=s.daily_capacity,
                is_active=s.is_active,
            )
            for s in cat.services
        )
        Coverage.objects.bulk_create(
            (
                Coverage(
                    service=row,
                    origin_country=o,
                    destination_country=d,
                    postcode_prefixes=list(areas[0].prefixes),
                    postcode_ranges=[f"{lo}-{hi}" for lo, hi in areas[0].ranges],
                )
                for row, s in zip(services, cat.services, strict=True)
                for (o, d), areas in s.lanes.items()
            ),
            batch_size=5000,
        )
        cards = RateCard.objects.bulk_create(
            RateCard(service=row, currency=s.card_currency) for row, s in zip(services, cat.services, strict=True)
        )
        RateBreak.objects.bulk_create(
            (
                RateBreak(
                    card=card, zone=zone_of[(s.carrier_code, zone)], up_to_g=g, price=p, extra_per_kg=z.extra_per_kg
                )
                for card, s in zip(cards, cat.services, strict=True)
                for zone, z in s.card.items()
                for g, p in zip(z.bounds, z.prices, strict=True)
            ),
            batch_size=10000,
        )
    t = time.perf_counter()
    rebuilt = build_catalogue()
    seconds = time.perf_counter() - t
    assert len(rebuilt.services) == len(cat.services)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--decisions", type=int, default=5000)
    parser.add_argument("--db", action="store_true", help="also time the rebuild from database rows")
    args = parser.parse_args()
    rng = random.Random(5)
    t = time.perf_counter()
    big = bench_catalogue(rng)
    built = time.perf_counter() - t
    usage = {s.key: rng.randint(0, 60) for s in big.services if s.daily_capacity}
    lines = [
        f"bench/routing.py, {datetime.now(UTC):%Y-%m-%d}, {os.cpu_count()} cores, Python {sys.version.split()[0]}",
        f"benchmark catalogue: {len({s.carrier_code for s in big.services})} carriers, {len(big.services):,} services, "
        f"{sum(len(k) == 2 for k in big.by_lane)} lanes; generated and compiled in memory in {built:.1f} s",
        f"machine speed: sum(range(1000)) takes {timeit.timeit('sum(range(1000))', number=2000) / 2 * 1000:.1f} us",
    ]
    result = run(big, orders(rng, args.decisions, COUNTRIES), Counters(usage=usage))
    lines.append(f"  {args.decisions:,} decisions: " + ", ".join(f"{k} {v:,.2f}" for k, v in result.items()))
    # The same 200 x 50 services with 8 global carriers instead of 40: a lane then has a few hundred
    # services rather than about 1,200, closer to what one origin-destination pair sees in practice.
    typical = bench_catalogue(random.Random(6), global_carriers=8)
    typical_usage = {s.key: rng.randint(0, 60) for s in typical.services if s.daily_capacity}
    result = run(typical, orders(rng, args.decisions, COUNTRIES), Counters(usage=typical_usage))
    lines.append(
        f"same size, 8 global carriers instead of 40, {args.decisions:,} decisions: "
        + ", ".join(f"{k} {v:,.2f}" for k, v in result.items())
    )
    demo = demo_catalogue()
    demo_orders = orders(rng, args.decisions, ["DE", "FR", "GB", "US"])
    demo_orders = [(replace(o, origin_country="CN"), *rest) for o, *rest in demo_orders]
    result = run(demo, demo_orders, Counters())
    lines.append(
        f"demo catalogue ({len(demo.services)} services), {args.decisions:,} decisions: "
        + ", ".join(f"{k} {v:,.3f}" for k, v in result.items())
    )
    if args.db:
        rows = sum(len(z.bounds) for s in big.services for z in s.card.values())
        seconds = write_to_database(big)
        lines.append(
            f"rebuild from the database ({len(big.services):,} services, {rows:,} weight breaks): {seconds:.1f} s"
        )
    text = "\n".join(lines)
    print(text)
    (ROOT / "bench" / "results" / "routing.txt").write_text(text + "\n")


if __name__ == "__main__":
    main()
