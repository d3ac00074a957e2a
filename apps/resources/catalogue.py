"""The compiled catalogue of this process: built from the database once, rebuilt when the
catalogue version (set by triggers on every catalogue write, migration 0003) changes. The version
is read at most every ROUTING_CATALOGUE_CHECK_SECONDS; the daily usage counters at most every
ROUTING_USAGE_CHECK_SECONDS. Reads only."""

import logging
import threading
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db import connection

from apps.resources.models import (
    CarrierService,
    Coverage,
    ExchangeRate,
    MerchantRoutingPreference,
    RateBreak,
    ServiceDailyUsage,
    ServiceRecord,
    Surcharge,
    Warehouse,
    WarehouseDailyUsage,
    Zone,
)
from apps.resources.routing import (
    Area,
    Catalogue,
    Counters,
    ServiceSpec,
    SurchargeSpec,
    WarehouseSpec,
    ZonePrices,
    ZoneSpec,
    compile_catalogue,
    local_day,
)
from apps.resources.types import MerchantPreferences

logger = logging.getLogger(__name__)


def catalogue_version() -> int | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT version FROM resources_catalogueversion WHERE id = 1")
        row = cursor.fetchone()
    return row[0] if row else None


def build_catalogue(*, version: int | None = None) -> Catalogue:
    """Read every catalogue table once and compile."""
    # Plain tuples, not model instances: at 10,000 services a card has ~36 breaks each.
    lanes: dict[int, dict[tuple[str, str], list[Area]]] = defaultdict(lambda: defaultdict(list))
    whole = Area()
    for service_id, origin, destination, prefixes, ranges in Coverage.objects.values_list(
        "service_id", "origin_country", "destination_country", "postcode_prefixes", "postcode_ranges"
    ):
        area = Area.of(prefixes, ranges) if prefixes or ranges else whole
        lanes[service_id][(origin.upper(), destination.upper())].append(area)
    cards: dict[int, dict[str, ZonePrices]] = defaultdict(dict)
    for service_id, zone_code, up_to_g, price, extra in RateBreak.objects.order_by(
        "card__service_id", "zone__code", "up_to_g"
    ).values_list("card__service_id", "zone__code", "up_to_g", "price", "extra_per_kg"):
        zone = cards[service_id].get(zone_code)
        if zone is None:
            zone = cards[service_id][zone_code] = ZonePrices(bounds=[], prices=[])
        zone.bounds.append(up_to_g)
        zone.prices.append(price)
        zone.extra_per_kg = extra  # the last break's counts
    services = []
    for s in CarrierService.objects.select_related("carrier", "rate_card"):
        card = getattr(s, "rate_card", None)
        services.append(
            ServiceSpec(
                carrier_code=s.carrier.code,
                service_code=s.code,
                level=s.level,
                transit_days_min=s.transit_days_min,
                transit_days_max=s.transit_days_max,
                max_weight_g=s.max_weight_g,
                currency=s.currency,
                base_price=s.base_price,
                price_per_kg=s.price_per_kg,
                carrier_status=s.carrier.status,
                is_active=s.is_active,
                max_length_mm=s.max_length_mm,
                volumetric_divisor=s.volumetric_divisor,
                fuel_pct=s.fuel_surcharge_pct,
                timezone=s.carrier.timezone,
                min_value=s.min_declared_value,
                max_value=s.max_declared_value,
                refused_contents=frozenset(s.refused_contents),
                daily_capacity=s.daily_capacity,
                on_time_prior=float(s.on_time_prior),
                card=cards.get(s.pk, {}) if card is not None else None,
                card_currency=card.currency if card is not None else "",
                lanes={lane: areas for lane, areas in lanes[s.pk].items()},
            )
        )
    zones: dict[str, list[ZoneSpec]] = defaultdict(list)
    for z in Zone.objects.select_related("carrier").order_by("carrier__code", "code"):
        zones[z.carrier.code].append(
            ZoneSpec(
                code=z.code,
                countries=frozenset(c.upper() for c in z.countries),
                area=Area.of(z.postcode_prefixes, z.postcode_ranges),
            )
        )
    surcharges: dict[str, list[SurchargeSpec]] = defaultdict(list)
    for sc in Surcharge.objects.select_related("carrier").order_by("pk"):
        surcharges[sc.carrier.code].append(
            SurchargeSpec(
                name=sc.name,
                country=sc.country.upper(),
                area=Area.of(sc.postcode_prefixes, sc.postcode_ranges),
                amount=sc.amount,
                currency=sc.currency,
            )
        )
    warehouses = [
        WarehouseSpec(
            code=w.code,
            country=w.country.upper(),
            ships_to=frozenset(c.upper() for c in w.ships_to),
            carriers=frozenset(c.code for c in w.carriers.all()),
            handling_fee=w.handling_fee,
            currency=w.currency,
            cutoff=w.cutoff_time,
            timezone=w.timezone,
            is_active=w.is_active,
            daily_capacity=w.daily_capacity,
        )
        for w in Warehouse.objects.prefetch_related("carriers")
    ]
    preferences = {
        p.merchant_id: MerchantPreferences(
            preferred_carriers=frozenset(p.preferred_carriers),
            blocked_carriers=frozenset(p.blocked_carriers),
            default_strategy=p.default_strategy,
        )
        for p in MerchantRoutingPreference.objects.all()
    }
    return compile_catalogue(
        services=services,
        zones=dict(zones),
        surcharges=dict(surcharges),
        usd_per_unit={r.currency.upper(): r.usd_per_unit for r in ExchangeRate.objects.all()},
        warehouses=warehouses,
        preferences=preferences,
        version=version,
    )


class _ProcessCache:
    catalogue: Catalogue | None = None
    checked_at: float = float("-inf")
    rebuilding: threading.Thread | None = None
    usage: "_DailyUsage | None" = None
    usage_at: float = float("-inf")
    counters: dict[int, tuple[Catalogue, Counters]] = {}  # quarter hour → the counters then


_rebuild_lock = threading.Lock()


def _rebuild_in_background(version: int) -> None:
    """Compile the new version in a thread while this process keeps routing on the previous one."""

    def rebuild() -> None:
        try:
            _ProcessCache.catalogue = build_catalogue(version=version)
        except Exception:
            logger.exception("rebuilding the routing catalogue (version %s) failed", version)
        finally:
            connection.close()  # the thread's own connection

    with _rebuild_lock:
        running = _ProcessCache.rebuilding
        if running is not None and running.is_alive():
            return
        thread = threading.Thread(target=rebuild, name="routing-catalogue-rebuild", daemon=True)
        _ProcessCache.rebuilding = thread
        thread.start()


def current_catalogue() -> Catalogue:
    """This process's catalogue, rebuilt if the version moved (checked at most every
    ROUTING_CATALOGUE_CHECK_SECONDS). With ROUTING_REBUILD_IN_BACKGROUND the rebuild runs in a
    thread and routing goes on with the previous catalogue meanwhile (a large catalogue takes
    seconds to compile). Without a version row (a flushed test database) it is rebuilt every time."""
    cache = _ProcessCache
    now = time.monotonic()
    if cache.catalogue is not None and now - cache.checked_at < settings.ROUTING_CATALOGUE_CHECK_SECONDS:
        return cache.catalogue
    version, catalogue = catalogue_version(), cache.catalogue
    if catalogue is None or version is None:
        catalogue = cache.catalogue = build_catalogue(version=version)  # nothing to route on meanwhile
    elif catalogue.version != version:
        if settings.ROUTING_REBUILD_IN_BACKGROUND:
            _rebuild_in_background(version)  # this call still routes on `catalogue`
        else:
            catalogue = cache.catalogue = build_catalogue(version=version)
    cache.checked_at = now
    return catalogue


class _DailyUsage:
    """The usage rows of three UTC days around a decision (every time zone's today is among them)."""

    def __init__(self, around: date):
        self.around = around
        days = (around - timedelta(days=1), around, around + timedelta(days=1))
        self.services = {
            (u.carrier_code, u.service_code, u.day): u.orders for u in ServiceDailyUsage.objects.filter(day__in=days)
        }
        self.warehouses = {
            (u.warehouse_code, u.day): u.orders for u in WarehouseDailyUsage.objects.filter(day__in=days)
        }
        self.records = {(r.carrier_code, r.service_code): (r.on_time, r.delivered) for r in ServiceRecord.objects.all()}


def current_counters(*, catalogue: Catalogue, now: datetime) -> Counters:
    """The counters a decision at `now` reads: orders accepted per (carrier, service) and per
    warehouse on the day `now` falls on in the carrier's or warehouse's time zone (the day intake
    counted them on, `resources.handlers`), and delivery records per (carrier, service). The rows
    are at most ROUTING_USAGE_CHECK_SECONDS old: three small queries per process and period."""
    cache = _ProcessCache
    around, checked = now.astimezone(UTC).date(), time.monotonic()
    stale = checked - cache.usage_at >= settings.ROUTING_USAGE_CHECK_SECONDS
    if cache.usage is None or cache.usage.around != around or stale:
        cache.usage, cache.usage_at, cache.counters = _DailyUsage(around), checked, {}
    # Every time zone's midnight falls on a quarter hour of UTC, so one view serves a quarter hour
    # (and the lane tables keep their usage columns while it does, lanes.py).
    quarter = int(now.timestamp()) // 900
    seen = cache.counters.get(quarter)
    if seen is None or seen[0] is not catalogue:  # a new catalogue may have moved a time zone
        seen = cache.counters[quarter] = (catalogue, _counters_at(cache.usage, catalogue, now))
    return seen[1]


def _counters_at(usage: _DailyUsage, catalogue: Catalogue, now: datetime) -> Counters:
    zones = {spec.key: spec.timezone for spec in catalogue.services}
    warehouse_zones = {w.code: w.timezone for w in catalogue.warehouses}
    return Counters(
        usage={
            (carrier, service): orders
            for (carrier, service, day), orders in usage.services.items()
            if day == local_day(now, zones.get((carrier, service), "UTC"))
        },
        records=usage.records,
        warehouse_usage={
            code: orders
            for (code, day), orders in usage.warehouses.items()
            if day == local_day(now, warehouse_zones.get(code, "UTC"))
        },
    )
