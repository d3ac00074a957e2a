"""The merchant portal's pages with 100,000 orders for the merchant and 1,000,000 in the table:
server time per page (p50, p95, max) and queries per page, in-process as the merchant's owner.

Seeds a separate database once (`logistics_bench_portal`; `--reseed` to redo) with one INSERT ...
SELECT generate_series: 1,000,000 orders over the last 300 days (every id after the id epoch,
2026-01-01, so none is negative), every tenth one the bench merchant's, 299 other merchants
sharing the rest. Orders older than 20 days are mostly delivered (some cancelled or returned,
one in 2,000 flagged); the last 20 days hold every open state, customs holds and failed
attempts included, so the dashboard's needing-action read has work to do. Five carriers with a
standard service, one real order with its parcels, items and history (for the order page) and
an inbound shipment are made through the services.

The pages are found in the portal's URLconf (as the sweeps in apps/portal/tests do); a few
filtered and paged order lists are added.

    .venv/bin/python bench/portal_pages.py [--runs 40] [--reseed]
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "logistics_bench_portal"
ORDERS = 1_000_000
MERCHANT = 1  # every tenth order: 100,000
OTHER_MERCHANTS = 299
DAYS = 300
CARRIERS = ["swift-express", "euro-post", "berlin-bike", "asia-air", "us-ground"]


def seed(connection) -> None:
    from apps.common.ids import EPOCH_MS, TIME_SHIFT

    now_ms = int(time.time() * 1000) - EPOCH_MS
    span_ms = min(DAYS * 86_400_000, now_ms - 86_400_000)  # never before the id epoch
    step_ms = span_ms // ORDERS
    assert step_ms >= 1, "the id epoch is too recent for this many orders a millisecond apart"
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE orders_order CASCADE")
        cursor.execute(
            "INSERT INTO merchants_merchant (id, name, slug, created_at, logo) SELECT g, 'Merchant ' || g, "
            "'bench-' || g, now(), '' FROM generate_series(1, %s) g ON CONFLICT DO NOTHING",
            [OTHER_MERCHANTS + 1],
        )
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('merchants_merchant', 'id'), "
            "(SELECT max(id) FROM merchants_merchant))"
        )
        # age: days before now; g counts up to now. Ids: the millisecond of creation, then g's low bits.
        cursor.execute(
            f"""
            WITH rows AS (
              SELECT g, %(now)s::bigint - (%(count)s - g)::bigint * %(step)s AS ms,
                     ((%(count)s - g)::bigint * %(step)s) / 86400000.0 AS age
                FROM generate_series(1, %(count)s) g
            )
            INSERT INTO orders_order (
                id, merchant_id, reference, service_level, channel, state, version,
                sender_name, sender_company, sender_line1, sender_line2, sender_city, sender_state,
                sender_postal_code, sender_country, sender_phone, sender_email,
                recipient_name, recipient_company, recipient_line1, recipient_line2, recipient_city, recipient_state,
                recipient_postal_code, recipient_country, recipient_phone, recipient_email,
                carrier_code, service_code, warehouse_code, quoted_price, quoted_currency, route_explanation,
                tracking_number, created_at, updated_at)
            SELECT (ms << {TIME_SHIFT}) | (g %% 1024),
                CASE WHEN g %% 10 = 0 THEN {MERCHANT} ELSE 2 + g %% {OTHER_MERCHANTS} END,
                'REF-' || g, (ARRAY['standard','express','economy'])[1 + g %% 3], 'api', s.state, 1,
                'Shop', '', '1 Keji Rd', '', 'Shenzhen', '', '518000', 'CN', '', '',
                (ARRAY['Anna','Ben','Chloe','David','Emma','Felix','Greta','Hugo'])[1 + g %% 8] || ' ' ||
                    (ARRAY['Schmidt','Martin','Rossi','Garcia','Smith','Novak','Berg','Dubois'])[1 + (g / 8) %% 8]
                    || ' ' || g,
                '', 'Street ' || g, '', 'City', '', '10115',
                (ARRAY['DE','FR','GB','US','NL','ES','IT','PL','AT','BE'])[1 + g %% 10],
                '+49' || (300000000 + g), 'buyer' || g || '@example.com',
                (ARRAY{CARRIERS!r})[1 + (g / 10) %% 5], 'standard', '',
                5 + (g %% 20), 'USD', '{{}}'::jsonb,
                CASE WHEN s.state IN ('accepted', 'scheduled') THEN '' ELSE 'SB' || lpad(g::text, 12, '0') END,
                to_timestamp((%(epoch)s + ms) / 1000.0),
                CASE WHEN s.state = 'delivered'
                     THEN least(now(), to_timestamp((%(epoch)s + ms) / 1000.0) + (5 + g %% 6) * interval '1 day')
                     ELSE to_timestamp((%(epoch)s + ms) / 1000.0) + interval '1 hour' END
            FROM rows, LATERAL (SELECT CASE
                WHEN age > 20 THEN CASE
                    WHEN g %% 2000 = 7 THEN 'exception'
                    WHEN g %% 100 < 5 THEN 'cancelled'
                    WHEN g %% 100 < 7 THEN 'returned'
                    ELSE 'delivered' END
                WHEN age < 0.5 THEN (ARRAY['accepted','scheduled','in_fulfillment'])[1 + g %% 3]
                ELSE (ARRAY['delivered','delivered','delivered','in_transit','in_transit','handed_over',
                            'out_for_delivery','in_fulfillment','cancelled','delivered','in_transit','delivered',
                            'delivered','in_transit','delivered','delivered','delivered','in_transit','delivered',
                            'delivered','customs_hold','delivery_failed','exception','delivered','in_transit',
                            'delivered','delivered','scheduled','delivered','delivered'])[1 + (g / 10) %% 30]
                END AS state) s
            """,
            {"now": now_ms, "count": ORDERS, "step": step_ms, "epoch": EPOCH_MS},
        )
        cursor.execute("ANALYZE orders_order")


def _fixtures(merchant_id: int) -> dict[str, str]:
    """Rows made through the services: carriers, a real order, an inbound shipment; returns URL arguments."""
    from apps.batches.models import LabelBatch
    from apps.batches.services import label_batch_create
    from apps.merchants.models import Membership, Merchant
    from apps.merchants.tests.factories import MembershipFactory
    from apps.orders.models import Order
    from apps.orders.tests.factories import create_order, fixed_route
    from apps.resources.models import CarrierService
    from apps.resources.tests.factories import CarrierServiceFactory
    from apps.warehouse.models import Asn
    from apps.warehouse.services import asn_create
    from apps.warehouse.tests.stocked import stocked_warehouse

    for code in CARRIERS:
        if not CarrierService.objects.filter(carrier__code=code, code="standard").exists():
            CarrierServiceFactory(carrier__code=code, code="standard", transit_days_max=8)
    merchant = Merchant.objects.get(pk=merchant_id)
    membership = Membership.objects.filter(merchant=merchant, role=Membership.Role.OWNER).first()
    owner = (membership or MembershipFactory(merchant=merchant, role=Membership.Role.OWNER)).user
    order = Order.objects.filter(merchant_id=merchant_id, reference="BENCH-REAL").first() or create_order(
        merchant_id=merchant_id, reference="BENCH-REAL", route=fixed_route(carrier_code="euro-post")
    )
    asn = Asn.objects.filter(merchant_id=merchant_id).first()
    if asn is None:
        stocked_warehouse(merchant_id=merchant_id, stock={"TS-1": 5}, carrier_codes=tuple(CARRIERS))
        asn = asn_create(merchant_id=merchant_id, warehouse_code="sz-1", lines=[("TS-1", 3)])
    batch = LabelBatch.objects.filter(merchant_id=merchant_id).first()
    if batch is None:
        batch, _ = label_batch_create(
            merchant_id=merchant_id, user=owner, order_ids=[order.id], chosen_route=None, idempotency_key=uuid.uuid4()
        )
    return {"owner": owner, "order_id": order.number, "asn_id": str(asn.pk), "batch_id": str(batch.pk)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--reseed", action="store_true")
    args = parser.parse_args()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "logistics.settings.dev",
        "DJANGO_DEBUG": "false",  # no query log: time what production would
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB_NAME}",
        "DJANGO_ALLOWED_HOSTS": "testserver,127.0.0.1",
    }
    os.environ.update(env)
    subprocess.run([sys.executable, "manage.py", "ensure_database"], cwd=ROOT, env=env, check=True)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    import logging

    from django.db import connection
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from apps.merchants.models import Merchant
    from apps.merchants.tests.two_factor import TwoFactorClient, confirmed_device
    from apps.orders.models import Order
    from apps.portal import urls as portal_urls
    from apps.portal.tests.pages import ANONYMOUS, ARGUMENTS, NOT_PAGES, named_patterns

    if args.reseed or Order.objects.filter(merchant_id=MERCHANT, id__gt=0).count() < 100_000:
        started = time.perf_counter()
        seed(connection)
        print(f"seeded {ORDERS:,} orders ({ORDERS // 10:,} the merchant's) in {time.perf_counter() - started:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE orders_order")  # an index added by a migration since has no statistics yet
    made = _fixtures(MERCHANT)
    confirmed_device(made["owner"])  # owners log in with a code: the session passed that step
    merchant_client, anonymous = TwoFactorClient(), Client()
    merchant_client.force_login(made["owner"])
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_total_relation_size('orders_order'))")
        print(f"orders_order with its indexes: {cursor.fetchone()[0]}")

    # The real order and inbound shipment above; every other argument from the sweeps' makers.
    values = {"order_id": made["order_id"], "asn_id": made["asn_id"], "batch_id": made["batch_id"]}
    values["membership_id"] = str(made["owner"].memberships.get(merchant_id=MERCHANT).pk)  # only POSTed to
    merchant = Merchant.objects.get(pk=MERCHANT)
    paths = []
    for pattern in named_patterns(portal_urls.urlpatterns):
        if pattern.name in NOT_PAGES:
            continue
        arguments = list(pattern.pattern.converters)
        for argument in arguments:
            if argument not in values:
                values[argument] = ARGUMENTS[argument](merchant)
        path = reverse(f"portal:{pattern.name}", kwargs={a: values[a] for a in arguments})
        paths.append((pattern.name, path, pattern.name in ANONYMOUS))
    oldest_page = Order.objects.filter(merchant_id=MERCHANT).order_by("-id").values_list("id", flat=True)[5000]
    week_ago = (timezone.now() - timedelta(days=7)).date().isoformat()
    paths += [
        ("order-list ?state=exception", "/orders/?state=exception", False),
        ("order-list ?state=delivered&state=returned", "/orders/?state=delivered&state=returned", False),
        ("order-list ?created_after=week", f"/orders/?created_after={week_ago}", False),
        ("order-list ?q=Rossi (one order in eight)", "/orders/?q=Rossi", False),
        ("order-list ?q=Berg 999990 (one order)", "/orders/?q=Berg+999990", False),
        ("order-list ?q=Zhang (no order)", "/orders/?q=Zhang", False),
        ("order-list ?before=5000th", f"/orders/?before={oldest_page}", False),
        ("track ?tracking_number", "/track/?tracking_number=SB000000000010", True),
    ]
    logging.disable(logging.INFO)  # the request log would time the terminal too
    sql = {"queries": 0, "ms": 0.0}

    def timed(execute, statement, params, many, context):
        started = time.perf_counter()
        try:
            return execute(statement, params, many, context)
        finally:
            sql["queries"] += 1
            sql["ms"] += (time.perf_counter() - started) * 1000

    print(
        f"\n{'page':44} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} {'queries':>7} {'SQL p50':>7} {'CPU p50':>7}"
        f" {'CPU p95':>7}"
    )
    worst = 0.0
    visits = 0
    for name, path, is_anonymous in paths:
        client = anonymous if is_anonymous else merchant_client
        visits += 1  # a new client address each time: the tracking page limits lookups per address
        first = client.get(path, REMOTE_ADDR=f"10.9.{visits // 250}.{visits % 250 + 1}")
        if first.status_code != 200 or not first["Content-Type"].startswith("text/html"):
            continue  # POST-only, a download, or a redirect: no page to time
        timings, sql_ms, cpu_ms, queries = [], [], [], 0
        for _ in range(args.runs):
            visits += 1
            sql.update(queries=0, ms=0.0)
            with connection.execute_wrapper(timed):
                started, cpu = time.perf_counter(), time.process_time()
                response = client.get(path, REMOTE_ADDR=f"10.9.{visits // 250}.{visits % 250 + 1}")
                timings.append((time.perf_counter() - started) * 1000)
                cpu_ms.append((time.process_time() - cpu) * 1000)
            assert response.status_code == 200, (path, response.status_code)
            sql_ms.append(sql["ms"])
            queries = max(queries, sql["queries"])
        timings.sort()
        cpu_ms.sort()
        p95 = timings[max(int(len(timings) * 0.95) - 1, 0)]
        worst = max(worst, p95)
        print(
            f"{name:44} {statistics.median(timings):7.1f} {p95:7.1f} {timings[-1]:7.1f} {queries:7d}"
            f" {statistics.median(sql_ms):7.1f} {statistics.median(cpu_ms):7.1f}"
            f" {cpu_ms[max(int(len(cpu_ms) * 0.95) - 1, 0)]:7.1f}"
        )
    print(
        f"\nslowest page p95: {worst:.1f} ms (aim: 100 ms);"
        f" load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    print("(wall time includes waiting for a core: on a loaded machine, CPU + SQL is the page's own cost)")


if __name__ == "__main__":
    main()
