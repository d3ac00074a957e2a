"""Reconcile a 100,000-SKU WMS stock snapshot read from the sandbox WMS over HTTP.

Starts its own gunicorn serving the sandbox WMS on a separate database, gives the sandbox
warehouse N SKUs of 50 units and the platform the same SKUs with drift (1 % of SKUs one unit off:
adjusted; 0.1 % twenty off: held for operations), then runs
`warehouse_stock_snapshot_reconcile` twice: the first adjusts, the second must adjust nothing.
For each run it prints the seconds spent reading the pages over HTTP, the seconds of the
set-based apply (COPY, one compare, one UPDATE ... FROM, two INSERT ... SELECT), the peak Python
memory (tracemalloc) and the process's peak RSS. `--in-process` also times the apply alone on an
in-memory snapshot of the same size.

    .venv/bin/python bench/reconcile_snapshot.py [--skus 100000] [--page-size 5000]
"""

import argparse
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "logistics_bench_reconcile"
PORT = 8124
CODE = "bench-wh"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skus", type=int, default=100_000)
    parser.add_argument("--page-size", type=int, default=5000)
    parser.add_argument("--in-process", action="store_true")
    args = parser.parse_args()

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "logistics.settings.dev",
        "DJANGO_DEBUG": "false",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB_NAME}",
        "REDIS_URL": "redis://127.0.0.1:6379/13",
        "SITE_URL": f"http://127.0.0.1:{PORT}",
        "SANDBOX_WEBHOOK_URL": "",
        "SANDBOX_WMS_WEBHOOK_URL": "",
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
    from django.db import connection
    from django.utils import timezone

    from apps.resources.services import warehouse_upsert
    from apps.sandbox import wms as sandbox_wms
    from apps.warehouse.models import ReconciliationLine, Stock
    from apps.warehouse.services import shared, stock_snapshot_apply, warehouse_stock_snapshot_reconcile
    from apps.warehouse.wms import wms_gateway_for

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE warehouse_stockmovement, warehouse_stockreservation, warehouse_reconciliationline,"
            " warehouse_reconciliationreport, warehouse_stock, warehouse_wmscall RESTART IDENTITY CASCADE"
        )
    warehouse = warehouse_upsert(
        code=CODE,
        name="Bench warehouse",
        country="HK",
        city="Hong Kong",
        ships_to=["DE"],
        endpoint_url=f"{env['SITE_URL']}/sandbox/wms/{CODE}/",
        handling_fee=0,
        currency="USD",
        carrier_codes=[],
    )
    sandbox_wms.warehouse_get(CODE)
    sandbox_wms.stock_generate(CODE, count=args.skus, prefix="SKU", on_hand=50)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO warehouse_stock (merchant_id, warehouse_code, sku, on_hand, reserved, updated_at)
            SELECT 1, %s, 'SKU' || lpad(g::text, 6, '0'),
                   CASE WHEN g %% 1000 = 1 THEN 30 WHEN g %% 100 = 0 THEN 49 ELSE 50 END, 0, now()
            FROM generate_series(1, %s) AS g
            """,
            [CODE, args.skus],
        )
    print(f"{args.skus:,} SKUs in the sandbox WMS and in our stock (1 % one off, 0.1 % twenty off)")

    # The bench's gateway reads bigger pages than the default; everything else is the real path.
    shared.wms_gateway_for = lambda row, **options: wms_gateway_for(
        row, snapshot_page_size=args.page_size, timeout=60, **options
    )
    log = open(ROOT / "bench" / "results" / "reconcile-web.log", "w")  # noqa: SIM115
    web = subprocess.Popen(
        [python, "-m", "gunicorn", "logistics.wsgi", "--bind", f"127.0.0.1:{PORT}", "--workers", "1", "--threads", "2"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        for _ in range(100):
            try:
                httpx.get(f"{env['SITE_URL']}/health/", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        for run in (1, 2):
            tracemalloc.start()
            started = time.monotonic()
            report = warehouse_stock_snapshot_reconcile(warehouse_code=warehouse.code)
            total = time.monotonic() - started
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            print(
                f"run {run}: {report.skus:,} SKUs, {report.adjusted:,} adjusted, {report.held:,} held;"
                f" {total:.2f} s in all ({total - report.seconds:.2f} s reading {report.skus // args.page_size + 1}"
                f" pages over HTTP, {report.seconds:.2f} s applying); peak Python memory {peak / 2**20:.1f} MiB,"
                f" peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
            )
            if run == 2 and report.adjusted:
                raise SystemExit("the second run adjusted stock: reconciliation is not idempotent")
        if args.in_process:
            items = [(None, f"SKU{g:06}", 50) for g in range(1, args.skus + 1)]
            tracemalloc.start()
            started = time.monotonic()
            report = stock_snapshot_apply(
                warehouse_code=CODE,
                snapshot_id="in-process",
                taken_at=timezone.now() + timedelta(seconds=1),
                items=items,
            )
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            print(
                f"in-process apply of {report.skus:,} SKUs: {time.monotonic() - started:.2f} s,"
                f" {report.adjusted} adjusted; peak Python memory {peak / 2**20:.1f} MiB"
            )
        pending = ReconciliationLine.objects.filter(decision="pending").count()
        print(f"stock rows {Stock.objects.count():,}; drift waiting for operations: {pending:,} SKUs")
    finally:
        web.terminate()
        web.wait(timeout=30)


if __name__ == "__main__":
    main()
