"""Read a 100,000-SKU stock snapshot from the sandbox WMS through the platform's WMS gateway.

Seeds the SKUs in a sandbox warehouse (`manage.py sandbox_wms_stock --generate`, database
`logistics_bench_wms`), starts its own gunicorn serving the sandbox, then reads whole snapshots
through `HttpWmsGateway.stock_snapshot` at a few page sizes and prints, per page size: pages,
seconds for the whole snapshot (the first page includes copying the stock), SKUs per second and
the slowest page.

    .venv/bin/python bench/wms_snapshot.py [--skus 100000] [--page-sizes 1000,5000]
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "logistics_bench_wms"
PORT = 8124
CODE = "bench-wms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skus", type=int, default=100_000)
    parser.add_argument("--page-sizes", default="1000,5000")  # 5000: the gateway default, the sandbox maximum
    args = parser.parse_args()

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "logistics.settings.dev",
        "DJANGO_DEBUG": "false",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB_NAME}",
        "SITE_URL": f"http://127.0.0.1:{PORT}",
        "SANDBOX_WMS_WEBHOOK_URL": "",
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    python = sys.executable
    subprocess.run([python, "manage.py", "ensure_database"], cwd=ROOT, env=env, check=True)
    subprocess.run([python, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    started = time.perf_counter()
    subprocess.run(
        [python, "manage.py", "sandbox_wms_stock", CODE, "--generate", str(args.skus), "--on-hand", "25"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    print(f"seeded {args.skus:,} SKUs in {time.perf_counter() - started:.1f} s (including Django start-up)")

    import django

    django.setup()
    import httpx

    from apps.warehouse.wms.client import HttpWmsGateway

    log = open(ROOT / "bench" / "results" / "wms-snapshot-web.log", "w")  # noqa: SIM115
    web = subprocess.Popen(
        [python, "-m", "gunicorn", "logistics.wsgi", "--bind", f"127.0.0.1:{PORT}", "--workers", "1"],
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
        for page_size in [int(n) for n in args.page_sizes.split(",")]:
            gateway = HttpWmsGateway(
                warehouse_code=CODE,
                endpoint_url=f"{env['SITE_URL']}/sandbox/wms/{CODE}/",
                api_key=env.get("SANDBOX_API_KEY", "dev-only-sandbox-api-key"),
                webhook_secret="",
                timeout=60,
                snapshot_page_size=page_size,
            )
            began, slowest, skus, pages, page = time.perf_counter(), 0.0, set(), 0, None
            while True:
                one = time.perf_counter()
                snapshot = gateway.stock_snapshot(page)
                slowest = max(slowest, time.perf_counter() - one)
                skus.update(item.sku for item in snapshot.items)
                pages += 1
                page = snapshot.next_page
                if page is None:
                    break
            took = time.perf_counter() - began
            complete = "complete" if len(skus) == args.skus else f"INCOMPLETE: {len(skus):,}"
            print(
                f"page size {page_size:>5}: {pages} pages, {took:.1f} s, {len(skus) / took:,.0f} SKUs/s, "
                f"slowest page {slowest * 1000:.0f} ms ({complete})"
            )
    finally:
        web.terminate()
        web.wait(timeout=10)


if __name__ == "__main__":
    main()
