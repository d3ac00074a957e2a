"""Seed the demo: a merchant with a portal login and an API key, an operations superuser,
four sandbox carriers with different coverage and prices (EuroPost's standard service priced by
a rate card in EUR, Swift's with a fuel surcharge and a remote-area surcharge for Corsica, Berlin
Bike refusing batteries and taking 200 orders a day, Sino Trunk's sea-rail service going by the
weekly Shanghai-Frankfurt line haul with EuroPost as last mile), two warehouses run by the sandbox
WMS (Shenzhen and Rotterdam, each with its time zone and cut-off, and the demo merchant's goods on
their shelves in the sandbox WMS), and the demo merchant's routing preferences (EuroPost
preferred, then the cheapest), its saved sender address (the default on the order form) and its
product catalogue (what fills customs lines). The platform's own stock rows come from the WMS's
stock snapshot.

Safe to run on every start: it updates what exists. API keys are stored only as a hash, so a
fresh demo key is issued (and the previous demo key revoked) each time; it is printed once.
"""

from datetime import time
from decimal import Decimal as D

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from apps.distribution.services import carrier_webhook_secret_set
from apps.merchants.models import ApiKey, Membership, Merchant
from apps.merchants.selectors import totp_device_for_user
from apps.merchants.services import api_key_issue, api_key_revoke, merchant_user_create
from apps.merchants.two_factor import staff_authenticator_issue
from apps.orders.types import AddressDraft
from apps.resources.services import (
    carrier_upsert,
    line_haul_upsert,
    merchant_preferences_set,
    rate_card_set,
    service_upsert,
    surcharge_set,
    warehouse_upsert,
)
from apps.shipping.saved import product_list, product_save, sender_address_list, sender_address_save
from apps.warehouse.services import stock_count

DEMO_MERCHANT = "Shenzhen Gadgets"
DEMO_USER, DEMO_PASSWORD = "merchant", "merchant-demo"  # the owner: sets up two-factor login first
DEMO_SHIPPER, DEMO_SHIPPER_PASSWORD = "shipper", "shipper-demo"  # a team member without it
OPS_USER, OPS_PASSWORD = "ops", "ops-demo"
EU = ["DE", "FR", "NL", "ES", "IT", "BE", "AT", "PL"]
# Further limits per (carrier, service): routing's rules in docs/routing.md.
LIMITS = {
    ("swift-express", "express"): {"fuel_surcharge_pct": D("12.5"), "volumetric_divisor": 5000},
    ("swift-express", "standard"): {"fuel_surcharge_pct": D("8.0"), "max_declared_value": D("2000")},
    ("euro-post", "standard"): {"refused_contents": ["liquids"], "volumetric_divisor": 6000},
    ("euro-post", "economy"): {"refused_contents": ["batteries", "liquids"], "max_declared_value": D("500")},
    ("berlin-bike", "standard"): {"refused_contents": ["batteries"], "daily_capacity": 200},
}
# EuroPost's standard parcel: a rate card in EUR, zone 1 (DE, NL, BE, AT), zone 2 (the rest).
EUROPOST_ZONES = [("zone-1", ["DE", "NL", "BE", "AT"], []), ("zone-2", [*EU, "GB"], [])]
EUROPOST_BREAKS = [
    (zone, grams, D(price), D(extra))
    for zone, rows in {
        "zone-1": [(500, "6.20", "0"), (1000, "7.10", "0"), (2000, "8.90", "0"), (5000, "12.40", "2.10")],
        "zone-2": [(500, "7.40", "0"), (1000, "8.60", "0"), (2000, "10.80", "0"), (5000, "15.20", "2.60")],
    }.items()
    for grams, price, extra in rows
]

DEMO_SENDER = AddressDraft(
    name="Shenzhen Gadgets",
    line1="1 Keji Rd, Nanshan",
    city="Shenzhen",
    state="Guangdong",
    postal_code="518057",
    country="CN",
    phone="+8675512345678",
)
# The demo merchant's catalogue: (SKU, English, Chinese, HS code, unit value in USD, grams).
PRODUCTS = [
    ("SZG-EARBUDS", "Wireless earbuds", "无线耳机", "851830", "19.90", 80),
    ("SZG-CHARGER-20W", "USB-C charger 20 W", "USB-C 充电器 20W", "850440", "7.50", 60),
    ("SZG-CABLE-USBC", "USB-C cable 1 m", "USB-C 数据线 1米", "854442", "2.20", 30),
    ("SZG-SMARTWATCH", "Smartwatch", "智能手表", "851762", "39.00", 120),
    ("SZG-PHONE-CASE", "Phone case", "手机壳", "392690", "3.10", 40),
]

# The demo merchant's goods on the sandbox WMS's shelves, per warehouse (SKU: units on hand).
WAREHOUSES = [
    {
        "code": "sz-fulfil",
        "name": "Shenzhen Fulfilment Hub",
        "country": "CN",
        "city": "Shenzhen",
        "address": {"line1": "8 Pingshan Logistics Park, Pingshan District", "postal_code": "518118"},
        "ships_to": [*EU, "GB", "US"],
        "carrier_codes": ["swift-express", "euro-post"],
        "handling_fee": D("1.20"),
        "time_zone": "Asia/Shanghai",
        "cutoff_time": time(16, 0),
        "stock": {"SZG-EARBUDS": 240, "SZG-CHARGER-20W": 500, "SZG-CABLE-USBC": 1200, "SZG-SMARTWATCH": 60},
    },
    {
        "code": "rtm-fulfil",
        "name": "Rotterdam Fulfilment Centre",
        "country": "NL",
        "city": "Rotterdam",
        "address": {"line1": "Waalhaven Zuidzijde 21", "postal_code": "3089 JH"},
        "ships_to": EU,
        "carrier_codes": ["euro-post", "berlin-bike"],
        "handling_fee": D("1.80"),
        "time_zone": "Europe/Amsterdam",
        "cutoff_time": time(14, 0),
        "stock": {"SZG-EARBUDS": 80, "SZG-CHARGER-20W": 150, "SZG-CABLE-USBC": 300, "SZG-PHONE-CASE": 400},
    },
]

CARRIERS = [
    {
        "code": "swift-express",
        "name": "Swift Express (global express)",
        "rps": 20,
        "concurrency": 10,
        "services": [
            (
                "express",
                "Express Worldwide",
                "express",
                (2, 4),
                30000,
                D("18.00"),
                D("6.50"),
                [("CN", c, []) for c in [*EU, "GB", "US", "CA", "AU", "JP"]],
            ),
            (
                "standard",
                "Standard Worldwide",
                "standard",
                (5, 8),
                30000,
                D("11.00"),
                D("4.20"),
                [("CN", c, []) for c in [*EU, "GB", "US", "CA", "AU", "JP"]],
            ),
        ],
    },
    {
        "code": "euro-post",
        "name": "EuroPost (European postal network)",
        "rps": 10,
        "concurrency": 5,
        "services": [
            (
                "standard",
                "Priority Parcel",
                "standard",
                (6, 10),
                20000,
                D("7.50"),
                D("3.10"),
                [(origin, c, []) for origin in ("CN", "NL") for c in [*EU, "GB"]],
            ),
            (
                "economy",
                "Economy Parcel",
                "economy",
                (10, 20),
                20000,
                D("4.90"),
                D("2.20"),
                [(origin, c, []) for origin in ("CN", "NL") for c in [*EU, "GB"]],
            ),
        ],
    },
    {
        "code": "berlin-bike",
        "name": "Berlin Bike Couriers (regional, Berlin only)",
        "rps": 5,
        "concurrency": 3,
        "services": [
            (
                "standard",
                "Berlin Last Mile",
                "standard",
                (4, 7),
                10000,
                D("5.50"),
                D("1.80"),
                [(origin, "DE", ["10", "12", "13", "14"]) for origin in ("CN", "NL")],
            ),
        ],
    },
    {
        "code": "sino-trunk",
        "name": "Sino Trunk (first mile to the Shanghai hub, then the Frankfurt line haul)",
        "rps": 10,
        "concurrency": 5,
        "services": [
            (
                "sea-rail",
                "Sea-rail consolidated (EuroPost delivers)",
                "economy",
                (18, 28),
                20000,
                D("3.20"),
                D("1.10"),
                [("CN", c, []) for c in ["DE", "NL", "BE", "AT", "FR"]],
            ),
        ],
    },
]
# Parcels of Sino Trunk's sea-rail service cross in a weekly container (Fridays, 18:00 Shanghai
# time) to Frankfurt, where EuroPost delivers them (docs/architecture.md, fulfilment plans).
LINE_HAUL = {
    "code": "sha-fra",
    "name": "Shanghai to Frankfurt sea-rail",
    "hub_name": "Sino Trunk consolidation hub",
    "hub_line1": "88 Waigaoqiao Rd",
    "hub_city": "Shanghai",
    "hub_postal_code": "200131",
    "hub_country": "CN",
    "destination_hub": "Frankfurt cargo hub",
    "departure_weekdays": [4],
    "cutoff_time": "18:00",
    "timezone": "Asia/Shanghai",
    "transit_days": 18,
    "last_mile_service_code": "standard",
}


class Command(BaseCommand):
    help = "Seed (or refresh) the demo merchant, operations user, sandbox carriers and warehouses."

    @transaction.atomic
    def handle(self, *args, **options):
        users = get_user_model().objects
        if not users.filter(username=OPS_USER).exists():
            users.create_superuser(username=OPS_USER, password=OPS_PASSWORD, email="ops@example.com")
        ops = users.get(username=OPS_USER)
        # The admin asks for an authenticator's code (logistics/admin_site.py): the demo's key is printed below.
        ops_device = totp_device_for_user(user=ops) or staff_authenticator_issue(user=ops)
        merchant, _ = Merchant.objects.get_or_create(slug="shenzhen-gadgets", defaults={"name": DEMO_MERCHANT})
        if not users.filter(username=DEMO_USER).exists():
            merchant_user_create(merchant=merchant, username=DEMO_USER, password=DEMO_PASSWORD)
        if not users.filter(username=DEMO_SHIPPER).exists():
            merchant_user_create(
                merchant=merchant, username=DEMO_SHIPPER, password=DEMO_SHIPPER_PASSWORD, role=Membership.Role.SHIPPER
            )
        for old in ApiKey.objects.filter(merchant=merchant, name="demo", revoked_at__isnull=True):
            api_key_revoke(key=old)
        _, api_key = api_key_issue(merchant=merchant, name="demo")

        base = settings.SITE_URL.rstrip("/")
        for spec in CARRIERS:
            carrier = carrier_upsert(
                code=spec["code"],
                name=spec["name"],
                endpoint_url=f"{base}/sandbox/carriers/{spec['code']}/",
                api_key=settings.SANDBOX_API_KEY,
                requests_per_second=spec["rps"],
                max_concurrent_calls=spec["concurrency"],
            )
            # The sandbox signs its webhooks with SANDBOX_WEBHOOK_SECRET; a real carrier's comes from its dashboard.
            carrier_webhook_secret_set(carrier_code=spec["code"], secret=settings.SANDBOX_WEBHOOK_SECRET)
            for code, name, level, days, max_g, base_price, per_kg, lanes in spec["services"]:
                service = service_upsert(
                    carrier=carrier,
                    code=code,
                    name=name,
                    level=level,
                    transit_days=days,
                    max_weight_g=max_g,
                    base_price=base_price,
                    price_per_kg=per_kg,
                    currency="USD",
                    lanes=lanes,
                    **LIMITS.get((spec["code"], code), {}),
                )
                if (spec["code"], code) == ("euro-post", "standard"):
                    rate_card_set(service=service, currency="EUR", zones=EUROPOST_ZONES, breaks=EUROPOST_BREAKS)
            if spec["code"] == "swift-express":
                surcharge_set(
                    carrier=carrier,
                    name="remote area: Corsica",
                    country="FR",
                    postcode_prefixes=["20"],
                    amount=D("4.00"),
                    currency="USD",
                )
        line_haul_upsert(
            **LINE_HAUL,
            last_mile_carrier_code="euro-post",
            first_mile=[("sino-trunk", "sea-rail")],
        )
        for spec in WAREHOUSES:
            warehouse_upsert(
                code=spec["code"],
                name=spec["name"],
                country=spec["country"],
                city=spec["city"],
                ships_to=spec["ships_to"],
                endpoint_url=f"{base}/sandbox/wms/{spec['code']}/",
                handling_fee=spec["handling_fee"],
                currency="USD",
                carrier_codes=spec["carrier_codes"],
                time_zone=spec["time_zone"],
                cutoff_time=spec["cutoff_time"],
                address=spec["address"],
            )
            if settings.SANDBOX_ENABLED:
                # The sandbox WMS is another system: reached by its own command, never imported.
                pairs = [f"{sku}={units}" for sku, units in spec["stock"].items()]
                call_command("sandbox_wms_stock", spec["code"], "--set", *pairs, stdout=self.stdout)
            for sku, units in spec["stock"].items():  # the same goods in the platform's books
                stock_count(
                    merchant_id=merchant.pk,
                    warehouse_code=spec["code"],
                    sku=sku,
                    on_hand=units,
                    reason="demo opening count",
                    actor="system:seed_demo",
                )
        merchant_preferences_set(
            merchant_id=merchant.pk, preferred=["euro-post"], blocked=[], default_strategy="preferred"
        )
        if not sender_address_list(merchant_id=merchant.pk).exists():
            sender_address_save(merchant_id=merchant.pk, address=DEMO_SENDER, label="Shenzhen office", is_default=True)
        if not product_list(merchant_id=merchant.pk).exists():
            for sku, english, chinese, hs_code, value, grams in PRODUCTS:
                product_save(
                    merchant_id=merchant.pk,
                    sku=sku,
                    description=english,
                    description_zh=chinese,
                    hs_code=hs_code,
                    origin_country="CN",
                    unit_value=D(value),
                    currency="USD",
                    weight_g=grams,
                )
        self.stdout.write(self.style.SUCCESS("Demo ready:"))
        self.stdout.write(
            f"  portal     {base}/           login {DEMO_USER} / {DEMO_PASSWORD} (owner: two-factor set-up first)"
        )
        self.stdout.write(f"  portal     {base}/           login {DEMO_SHIPPER} / {DEMO_SHIPPER_PASSWORD} (shipper)")
        self.stdout.write(f"  admin      {base}/admin/     login {OPS_USER} / {OPS_PASSWORD} and a code of this key")
        self.stdout.write(f"             (add it to an authenticator app): {ops_device.config_url}")
        self.stdout.write(f"  ERP API    {base}/api/v1/    Authorization: Bearer {api_key}")
