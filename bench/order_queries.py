"""Seller and buyer queries on 1,000,000 orders over 300 merchants: each query's plan and p50/p99.

Seeds a separate database once (INSERT ... SELECT generate_series; `--reseed` to redo), then runs
the queries the app really runs (OrderFilter over order_list, the keyset next page, the buyer
lookups), prints EXPLAIN for each and flags any sequential scan of orders_order.

    .venv/bin/python bench/order_queries.py [--orders 1000000] [--reseed]
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "logistics_bench_orders"


def seed(connection, count: int) -> None:
    from apps.common.ids import EPOCH_MS, TIME_SHIFT

    start_ms = int(time.time() * 1000) - EPOCH_MS - 365 * 86_400_000
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE orders_order CASCADE")
        cursor.execute(
            "INSERT INTO merchants_merchant (id, name, slug, created_at) SELECT g, 'Merchant ' || g, "
            "'bench-' || g, now() FROM generate_series(1, 300) g ON CONFLICT DO NOTHING"
        )
        cursor.execute(
            f"""
            INSERT INTO orders_order (
                id, merchant_id, reference, service_level, channel, state, version,
                sender_name, sender_company, sender_line1, sender_line2, sender_city, sender_state,
                sender_postal_code, sender_country, sender_phone, sender_email,
                recipient_name, recipient_company, recipient_line1, recipient_line2, recipient_city, recipient_state,
                recipient_postal_code, recipient_country, recipient_phone, recipient_email,
                carrier_code, service_code, warehouse_code, quoted_price, quoted_currency, route_explanation,
                tracking_number, created_at, updated_at)
            SELECT ((%(start)s + g * (365 * 86400000::bigint / %(count)s)) << {TIME_SHIFT}) | (g %% 1024),
                1 + (g::bigint * 7919) %% 300, 'REF-' || g,
                (ARRAY['standard','express','economy'])[1 + g %% 3], 'api',
                (ARRAY['delivered','delivered','delivered','in_transit','accepted','scheduled','in_fulfillment',
                       'handed_over','cancelled','exception'])[1 + g %% 10], 1,
                'Shop', '', '1 Keji Rd', '', 'Shenzhen', '', '518000', 'CN', '', '',
                (ARRAY['Anna','Ben','Chloe','David','Emma','Felix','Greta','Hugo'])[1 + g %% 8] || ' ' ||
                    (ARRAY['Schmidt','Martin','Rossi','Garcia','Smith','Novak','Berg','Dubois'])[1 + (g / 8) %% 8]
                    || ' ' || g,
                '', 'Street ' || g, '', 'City', '', '10115',
                (ARRAY['DE','FR','GB','US','NL','ES','IT','PL','AT','BE','SE','DK','FI','IE','PT','CZ','HU','RO',
                       'GR','CH','NO','CA','AU','JP','KR','SG','MX','BR','CL','NZ'])[1 + g %% 30],
                '+49' || (300000000 + g), 'buyer' || g || '@example.com',
                (ARRAY['swift-express','euro-post','berlin-bike','asia-air','us-ground'])[1 + g %% 5], 'standard', '',
                9.90, 'USD', '{{}}'::jsonb,
                CASE WHEN g %% 10 IN (4, 5) THEN '' ELSE 'SB' || lpad(g::text, 12, '0') END,
                to_timestamp((%(epoch)s + %(start)s + g * (365 * 86400000::bigint / %(count)s)) / 1000.0), now()
            FROM generate_series(1, %(count)s) g
            """,
            {"start": start_ms, "count": count, "epoch": EPOCH_MS},
        )
        cursor.execute("ANALYZE orders_order")


def measure(connection, label: str, queryset, runs: int) -> None:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            cursor.execute(sql, params)
            cursor.fetchall()
            timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    seq = "Seq Scan on orders_order" in plan
    print(
        f"\n=== {label}: p50 {statistics.median(timings):.2f} ms, p99 {timings[int(runs * 0.99) - 1]:.2f} ms"
        f"{'  <-- SEQUENTIAL SCAN' if seq else '  (index)'}"
    )
    print(plan)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--reseed", action="store_true")
    args = parser.parse_args()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "logistics.settings.dev",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB_NAME}",
    }
    os.environ.update(env)
    subprocess.run([sys.executable, "manage.py", "ensure_database"], cwd=ROOT, env=env, check=True)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    from apps.orders.filters import OrderFilter
    from apps.orders.models import Order
    from apps.orders.selectors import order_list

    if args.reseed or Order.objects.count() != args.orders:
        started = time.perf_counter()
        seed(connection, args.orders)
        print(f"seeded {args.orders:,} orders over 300 merchants in {time.perf_counter() - started:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_total_relation_size('orders_order'))")
        print(f"orders_order with its indexes: {cursor.fetchone()[0]}")

    merchant = 42
    sample = Order.objects.filter(merchant_id=merchant).exclude(tracking_number="").order_by("-id")[100]
    month_ago = (timezone.now() - timezone.timedelta(days=30)).isoformat()
    two_months_ago = (timezone.now() - timezone.timedelta(days=60)).isoformat()
    seller_queries = {
        "newest page": {},
        "state": {"state": ["in_transit"]},
        "created range": {"created_after": two_months_ago, "created_before": month_ago},
        "destination country": {"destination_country": "fr"},
        "carrier": {"carrier": "euro-post"},
        "service level": {"service_level": "express"},
        "reference": {"reference": sample.reference},
        "tracking number": {"tracking_number": sample.tracking_number},
        "search name part": {"q": "Rossi"},
        "search email": {"q": sample.recipient_email},
        "search phone": {"q": sample.recipient_phone},
    }
    for label, params in seller_queries.items():
        filtered = OrderFilter(params, queryset=order_list(merchant_id=merchant))
        assert filtered.is_valid(), filtered.errors
        measure(connection, f"seller: {label}", filtered.qs[:50], args.runs)
    measure(
        connection,
        "seller: keyset next page",
        order_list(merchant_id=merchant).filter(id__lt=sample.id)[:50],
        args.runs,
    )
    measure(
        connection, "buyer: by tracking number", Order.objects.filter(tracking_number=sample.tracking_number), args.runs
    )
    measure(connection, "buyer: by order number (id)", Order.objects.filter(pk=sample.id), args.runs)


if __name__ == "__main__":
    main()
