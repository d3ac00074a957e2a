"""Book 2,000 orders through the real workers against the sandbox carrier (200 ms latency).

Starts its own gunicorn (serving the sandbox carrier), outbox relay, Celery worker and beat on a
separate database, submits the orders through the shipping center, waits until every one is
booked, and prints bookings per second, p50/p99 from acceptance to booked, and how many calls
the carrier received per booking (1.00 when nothing fails).

    .venv/bin/python bench/bookings.py [--orders 2000] [--latency-ms 200] [--worker-threads 40]

Every worker thread and every sandbox thread holds a database connection: the two together are
kept under PostgreSQL's max_connections (100 here), or bookings fail to connect.
"""

import argparse
import os
import signal
import statistics
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "logistics_bench_bookings"
PORT = 8123


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--latency-ms", type=int, default=200)
    parser.add_argument("--worker-threads", type=int, default=40)
    args = parser.parse_args()

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "logistics.settings.dev",
        "DJANGO_DEBUG": "false",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB_NAME}",
        "REDIS_URL": "redis://127.0.0.1:6379/13",
        "SITE_URL": f"http://127.0.0.1:{PORT}",
        "SANDBOX_WEBHOOK_URL": "",
        "TRACKING_POLL_SECONDS": "3600",
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    python = sys.executable
    subprocess.run([python, "manage.py", "ensure_database"], cwd=ROOT, env=env, check=True)
    subprocess.run([python, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)

    import django

    django.setup()
    import httpx
    import redis
    from django.db import connection

    from apps.distribution.models import CarrierCall, DistributionOrder
    from apps.merchants.services import merchant_create
    from apps.orders.tests.factories import order_draft
    from apps.resources.services import carrier_upsert, service_upsert
    from apps.shipping.services import order_submit

    redis.Redis.from_url(env["REDIS_URL"]).flushdb()
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('max_connections')::int - count(*) FROM pg_stat_activity")
        free = cursor.fetchone()[0]
    needed = 2 * args.worker_threads + 4  # worker and sandbox threads, relay, beat, this process
    if needed > free:
        raise SystemExit(f"{needed} database connections needed, {free} free: lower --worker-threads")
    with connection.cursor() as cursor:  # a clean slate for every run
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE 'django_%'"
            " AND tablename NOT LIKE 'auth_%'"
        )
        tables = [row[0] for row in cursor.fetchall()]
        cursor.execute("TRUNCATE " + ", ".join(tables) + " RESTART IDENTITY CASCADE")

    endpoint = f"{env['SITE_URL']}/sandbox/carriers/bench-post/"
    carrier = carrier_upsert(
        code="bench-post",
        name="Bench Post",
        endpoint_url=endpoint,
        requests_per_second=1000,
        max_concurrent_calls=args.worker_threads,
    )
    service_upsert(
        carrier=carrier,
        code="standard",
        name="Standard",
        level="standard",
        transit_days=(5, 8),
        max_weight_g=30000,
        base_price=Decimal("9"),
        price_per_kg=Decimal("2"),
        currency="USD",
        lanes=[("CN", "DE", [])],
    )
    merchant = merchant_create(name="Bench merchant")

    logs = ROOT / "bench" / "results"
    commands = {
        "web": [
            python,
            "-m",
            "gunicorn",
            "logistics.wsgi",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            "1",
            "--threads",
            str(args.worker_threads),  # the carrier answers at most one call per worker thread
            "--worker-class",
            "gthread",
        ],
        "relay": [python, "manage.py", "outbox_relay"],
        "worker": [
            python,
            "-m",
            "celery",
            "-A",
            "logistics",
            "worker",
            "-Q",
            "events,events_bulk,carriers",
            "--pool",
            "threads",
            "--concurrency",
            str(args.worker_threads),
            "--loglevel",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
        ],
        "beat": [
            python,
            "-m",
            "celery",
            "-A",
            "logistics",
            "beat",
            "--schedule",
            str(logs / "beat-schedule"),
            "--loglevel",
            "WARNING",
        ],
    }
    procs = {
        name: subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=env,
            stdout=open(logs / f"bookings-{name}.log", "w"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
        )
        for name, cmd in commands.items()
    }
    try:
        for _ in range(100):
            try:
                httpx.get(f"{env['SITE_URL']}/health/", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        httpx.post(
            f"{env['SITE_URL']}/sandbox/carriers/bench-post/behaviour/",
            json={
                "latency_ms": args.latency_ms,
                "error_rate": 0,
                "timeout_rate": 0,
                "outage": False,
                "webhook_url": "",
            },
        ).raise_for_status()

        started = time.monotonic()
        for i in range(args.orders):
            order_submit(
                merchant_id=merchant.pk, draft=order_draft(reference=f"BENCH-{i}"), actor="bench", channel="api"
            )
        submitted = time.monotonic() - started
        print(f"submitted {args.orders} orders in {submitted:.1f} s ({args.orders / submitted:.0f}/s)")

        deadline = time.monotonic() + 900
        while time.monotonic() < deadline:
            booked = DistributionOrder.objects.filter(state="booked").count()
            if booked >= args.orders:
                break
            time.sleep(1)
        else:
            raise SystemExit(f"only {booked} of {args.orders} booked before the deadline")

        rows = list(DistributionOrder.objects.filter(state="booked").values_list("created_at", "booked_at"))
        from apps.orders.models import Order

        accepted = dict(Order.objects.values_list("id", "created_at"))
        latencies = sorted(
            (booked_at - accepted[order_id]).total_seconds()
            for order_id, booked_at in DistributionOrder.objects.values_list("order_id", "booked_at")
        )
        first = min(accepted.values())
        last = max(booked_at for _, booked_at in rows)
        window = (last - first).total_seconds()
        calls = CarrierCall.objects.filter(operation="book").count()
        print(f"booked {len(rows)} orders in {window:.1f} s from first acceptance to last booking")
        print(f"bookings per second: {len(rows) / window:.1f}")
        print(
            f"acceptance -> booked: p50 {statistics.median(latencies) * 1000:.0f} ms, "
            f"p99 {latencies[int(len(latencies) * 0.99) - 1] * 1000:.0f} ms"
        )
        print(
            f"carrier calls per booking: {calls / len(rows):.2f}  ({calls} calls, latency {args.latency_ms} ms, "
            f"{args.worker_threads} worker threads)"
        )
    finally:
        for proc in procs.values():
            proc.terminate()
        for proc in procs.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


if __name__ == "__main__":
    # A SIGTERM (timeout, Ctrl-C in a supervisor) unwinds through `finally`, which stops the
    # servers and workers this started; otherwise they would outlive it holding connections.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    main()
