"""The back office's pages on 1,000,000 orders: time per page (p50, max) and queries per page.

Seeds a separate database once with bench/order_queries.py's million orders over a year (10 % of
them in `exception`, 10 % `accepted`) and moves those dated before the id epoch (2026-01-01;
their ids would be negative) into the last 24 hours, a busy day of about 80,000 orders, then
fetches, in-process as a staff member: the dashboard's fragment, the stuck-work page, the orders
list (plain, filtered by state, searched by recipient name), and one order's page.

    .venv/bin/python bench/backoffice.py [--orders 1000000] [--runs 10] [--reseed]
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "logistics_bench_backoffice"


def _move_before_epoch_into_last_day(connection) -> None:
    from apps.common.ids import EPOCH_MS, TIME_SHIFT

    now_ms = int(time.time() * 1000) - EPOCH_MS
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM orders_order WHERE id < 0")
        moved = cursor.fetchone()[0]
        cursor.execute(
            f"""
            WITH early AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM orders_order WHERE id < 0)
            UPDATE orders_order o
               SET id = ((%(now)s - early.n * (86400000 / %(moved)s)) << {TIME_SHIFT}) | (early.n %% 1024),
                   created_at = to_timestamp((%(epoch)s + %(now)s - early.n * (86400000 / %(moved)s)) / 1000.0)
              FROM early WHERE o.id = early.id
            """,
            {"now": now_ms, "moved": max(moved, 1), "epoch": EPOCH_MS},
        )
        cursor.execute("ANALYZE orders_order")
    print(f"moved {moved:,} orders into the last 24 hours")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--reseed", action="store_true")
    args = parser.parse_args()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "logistics.settings.dev",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB_NAME}",
        "DJANGO_ALLOWED_HOSTS": "testserver,127.0.0.1",
    }
    os.environ.update(env)
    subprocess.run([sys.executable, "manage.py", "ensure_database"], cwd=ROOT, env=env, check=True)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from apps.orders.models import Order
    from bench.order_queries import seed

    if args.reseed or Order.objects.count() != args.orders:
        started = time.perf_counter()
        seed(connection, args.orders)
        _move_before_epoch_into_last_day(connection)
        print(f"seeded {args.orders:,} orders in {time.perf_counter() - started:.1f} s")
    staff, _ = get_user_model().objects.get_or_create(
        username="bench-ops", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(staff)
    order = Order.objects.order_by("-id").first()
    pages = {
        "dashboard fragment": "/admin/operations/dashboard/panels/",
        "dashboard page": "/admin/operations/dashboard/",
        "stuck work": "/admin/operations/stuck/",
        "orders list": "/admin/orders/order/",
        "orders list, state exception": "/admin/orders/order/?state__exact=exception",
        "orders list, search name": "/admin/orders/order/?q=Rossi",
        "orders list, last hour": "/admin/orders/order/?age=1h",
        "one order's page": f"/admin/orders/order/{order.pk}/change/",
    }
    # A count of orders is bounded when it reads an id window (ids are time-ordered) or the open
    # states (few beside the closed, on the state index).
    print(f"{'page':34} {'p50 ms':>8} {'max ms':>8} {'queries':>8}  counts of orders")
    for label, url in pages.items():
        timings, queries = [], []
        for _ in range(args.runs):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                answer = client.get(url)
                timings.append((time.perf_counter() - started) * 1000)
            assert answer.status_code == 200, (url, answer.status_code)
            queries = [q["sql"] for q in captured.captured_queries]
        unbounded = [
            sql for sql in queries if "COUNT(" in sql.upper() and '"orders_order"' in sql and " LIMIT " not in sql
        ]
        windowed = [sql for sql in unbounded if '"orders_order"."id" >=' in sql or '"state" IN (' in sql]
        counted = "none" if not unbounded else f"{len(windowed)} bounded, {len(unbounded) - len(windowed)} not"
        print(f"{label:34} {statistics.median(timings):8.1f} {max(timings):8.1f} {len(queries):8d}  {counted}")


if __name__ == "__main__":
    main()
