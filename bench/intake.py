"""Intake benchmark: POST /api/v1/orders/ through gunicorn, against the same rows written by psycopg.

Starts gunicorn (3 sync workers, persistent database connections, DEBUG off) on a separate
database, sends `--orders` order creations from an asyncio HTTP/1.1 client with `--concurrency`
requests in flight (every check in place: key authentication with last-used tracking, scope,
the per-key rate limit in Redis, an Idempotency-Key on every request, full validation, routing,
the order, its parcel, items, history and outbox event, and the response), then inserts the
same order rows straight through psycopg with the same concurrency; `--rounds` times, taking
turns. Prints orders per second, p50/p99 latency and where the machine's CPU went (per order:
the web server, PostgreSQL, this client, the whole machine and its idle time) of every run, each
round's ratio, and the median of the rounds' ratios. Traffic goes to 127.0.0.1 only and every loop
is bounded in count and time.

    .venv/bin/python bench/intake.py [--orders 3000] [--rounds 3] [--concurrency 8] [--workers 3] [--profile]

`--profile` runs one worker under cProfile instead (writes var/intake.prof) and
prints the top of the profile: the hot path to optimise.
"""

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "logistics_bench_intake"
PORT = 8124
TIME_LIMIT_SECONDS = 300


def environment() -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "logistics.settings.dev",
        "DJANGO_DEBUG": "false",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB_NAME}",
        "DB_CONN_MAX_AGE": "600",
        "REDIS_URL": "redis://127.0.0.1:6379/12",
        "SITE_URL": f"http://127.0.0.1:{PORT}",
        "SANDBOX_WEBHOOK_URL": "",
        "LOG_LEVEL": "WARNING",
        # The limit is checked on every request (a Redis round trip); it is set high enough
        # that the benchmark measures intake, not the limiter saying no.
        "API_RATE_LIMIT_PER_SECOND": "1000000",
        "API_RATE_LIMIT_BURST": "1000000",
    }


def payload(n: int, run: str) -> dict:
    return {
        "reference": f"{run}-{n}",
        "service_level": "standard",
        "sender": {
            "name": "Shenzhen Gadgets",
            "line1": "1 Keji Rd",
            "city": "Shenzhen",
            "state": "Guangdong",
            "postal_code": "518000",
            "country": "CN",
            "phone": "+8675512345678",
        },
        "recipient": {
            "name": "Anna Schmidt",
            "line1": f"Hauptstr. {n}",
            "city": "Berlin",
            "postal_code": "10115",
            "country": "DE",
            "email": "anna@example.com",
            "phone": "+4930123456",
        },
        "parcels": [
            {
                "weight_g": 1200,
                "length_mm": 300,
                "width_mm": 200,
                "height_mm": 100,
                "items": [
                    {
                        "description": "T-shirt",
                        "sku": "TS-1",
                        "quantity": 2,
                        "unit_value": "12.50",
                        "currency": "USD",
                        "hs_code": "610910",
                        "origin_country": "CN",
                    }
                ],
            }
        ],
    }


def summary(name: str, count: int, seconds: float, latencies: list[float]) -> dict:
    latencies = sorted(latencies)
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000
    rate = count / seconds
    print(f"{name:<28} {count:>6} orders in {seconds:6.2f} s {rate:8.1f} orders/s", end="")
    print(f"  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms")
    return {"rate": rate, "p50_ms": p50, "p99_ms": p99}


# Where the machine's CPU went during a run (Linux /proc)

_TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def _processes():
    """(pid, parent pid, command name, CPU seconds) of every process, reaped children included."""
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as stat:
                text = stat.read()
        except OSError:  # it exited meanwhile
            continue
        command, _, rest = text[text.index("(") + 1 :].rpartition(")")
        fields = rest.split()
        ticks = sum(int(fields[i]) for i in (11, 12, 13, 14))  # utime, stime, cutime, cstime
        yield int(name), int(fields[1]), command, ticks / _TICKS_PER_SECOND


def cpu_seconds(server_pid: int) -> dict[str, float]:
    """CPU seconds used so far by the web server (gunicorn and its workers), PostgreSQL (its
    backends, and through the postmaster those that have exited), this client, and the machine."""
    used = {"web": 0.0, "PostgreSQL": 0.0, "client": 0.0}
    for pid, parent, command, seconds in _processes():
        if pid == server_pid or parent == server_pid:
            used["web"] += seconds
        elif command == "postgres":
            used["PostgreSQL"] += seconds
        elif pid == os.getpid():
            used["client"] += seconds
    with open("/proc/stat") as stat:
        user, nice, system, idle, iowait, irq, softirq = (int(x) for x in stat.readline().split()[1:8])
    used["machine"] = (user + nice + system + irq + softirq) / _TICKS_PER_SECOND
    used["idle"] = (idle + iowait) / _TICKS_PER_SECOND
    return used


def print_cpu(before: dict[str, float], after: dict[str, float], count: int) -> None:
    per_order = {part: (after[part] - before[part]) / count * 1000 for part in before}
    shown = (f"{part} {ms:.2f} ms" for part, ms in per_order.items() if ms >= 0.005)  # no web for raw
    print("    CPU per order:", ", ".join(shown))


# The API under load


async def _post(path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", PORT)
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{PORT}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    writer.write(head.encode() + b"\r\n" + body)
    await writer.drain()
    # Close as soon as the whole answer is in, as wrk does, instead of waiting for the server's
    # FIN: gunicorn's sync worker drains the socket until the client closes before it takes its
    # next request, so a client slow to close would measure its own event loop.
    header = await reader.readuntil(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1]) for line in header.split(b"\r\n") if line.lower().startswith(b"content-length:")
    )
    data = header + await reader.readexactly(length)
    writer.close()
    return int(data[9:12]), data


async def load(*, plaintext: str, count: int, concurrency: int, run: str) -> tuple[float, list[float], dict]:
    bodies = [json.dumps(payload(n, run)).encode() for n in range(count)]
    headers = {"Authorization": f"Bearer {plaintext}", "Content-Type": "application/json"}
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    queue = iter(range(count))
    deadline = time.monotonic() + TIME_LIMIT_SECONDS

    async def client() -> None:
        for n in queue:
            if time.monotonic() > deadline:
                return
            started = time.perf_counter()
            status, data = await _post("/api/v1/orders/", bodies[n], headers | {"Idempotency-Key": f"{run}-{n}"})
            latencies.append(time.perf_counter() - started)
            statuses[status] = statuses.get(status, 0) + 1
            if status != 201 and statuses[status] == 1:
                print(f"unexpected {status}: {data[:600]!r}")

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return time.perf_counter() - started, latencies, statuses


# The same rows straight through psycopg


def raw_rows(n: int, run: str, merchant_id: int, key_id: int, new_id) -> list[tuple[str, tuple]]:
    """The rows one order creation writes: the order, its parcel, item, history and outbox event,
    and the kept answer to its Idempotency-Key."""
    now = datetime.now(UTC)
    p = payload(n, run)
    s, r = p["sender"], p["recipient"]
    order_id = new_id()
    order = (
        "INSERT INTO orders_order (id, merchant_id, reference, service_level, channel, state, version,"
        " sender_name, sender_company, sender_line1, sender_line2, sender_city, sender_state, sender_postal_code,"
        " sender_country, sender_phone, sender_email, recipient_name, recipient_company, recipient_line1,"
        " recipient_line2, recipient_city, recipient_state, recipient_postal_code, recipient_country,"
        " recipient_phone, recipient_email, carrier_code, service_code, warehouse_code, quoted_price,"
        " quoted_currency, route_explanation, tracking_number, created_at, updated_at)"
        " VALUES (%s, %s, %s, 'standard', 'api', 'accepted', 1, %s, '', %s, '', %s, '', %s, %s, %s, '',"
        " %s, '', %s, '', %s, '', %s, %s, %s, %s, 'bench-post', 'standard', '', 14.00, 'USD', %s, '', %s, %s)",
        (
            order_id,
            merchant_id,
            p["reference"],
            s["name"],
            s["line1"],
            s["city"],
            s["postal_code"],
            s["country"],
            s["phone"],
            r["name"],
            r["line1"],
            r["city"],
            r["postal_code"],
            r["country"],
            r["phone"],
            r["email"],
            json.dumps({"strategy": "cheapest", "alternatives": 0}),
            now,
            now,
        ),
    )
    parcel = (
        "INSERT INTO orders_parcel (order_id, merchant_id, sequence, weight_g, length_mm, width_mm, height_mm)"
        " VALUES (%s, %s, 1, 1200, 300, 200, 100) RETURNING id",
        (order_id, merchant_id),
    )
    item = (
        "INSERT INTO orders_item (parcel_id, merchant_id, description, sku, quantity, unit_value, currency,"
        " hs_code, origin_country) VALUES (%s, %s, 'T-shirt', 'TS-1', 2, 12.50, 'USD', '610910', 'CN')",
        (None, merchant_id),
    )
    history = (
        "INSERT INTO orders_ordertransition (order_id, merchant_id, transition, from_state, to_state, actor,"
        " reason, occurred_at) VALUES (%s, %s, 'create', '', 'accepted', %s, 'received via api', %s)",
        (order_id, merchant_id, f"api-key:{key_id}", now),
    )
    event = (
        "INSERT INTO common_outboxevent (event_type, aggregate_type, aggregate_id, merchant_id, payload, actor,"
        " created_at) VALUES ('orders.order.accepted', 'order', %s, %s, %s, %s, %s)",
        (str(order_id), merchant_id, json.dumps({"order_id": str(order_id)}), f"api-key:{key_id}", now),
    )
    kept = (
        "INSERT INTO erp_api_idempotencyrecord (merchant_id, key, fingerprint, method, path, state, owner,"
        " response_status, response_content_type, response_body, created_at, completed_at)"
        " VALUES (%s, %s, %s, 'POST', '/api/v1/orders/', 'completed', %s, 201, 'application/json', %s, %s, %s)",
        (merchant_id, f"{run}-{n}", "0" * 64, uuid.uuid4(), json.dumps(p).encode(), now, now),
    )
    return [order, parcel, item, history, event, kept]


async def raw_load(*, dsn: str, count: int, concurrency: int, run: str, merchant_id: int, key_id: int, new_id):
    import psycopg

    latencies: list[float] = []
    queue = iter(range(count))
    deadline = time.monotonic() + TIME_LIMIT_SECONDS

    async def writer() -> None:
        async with await psycopg.AsyncConnection.connect(dsn) as conn:
            for n in queue:
                if time.monotonic() > deadline:
                    return
                statements = raw_rows(n, run, merchant_id, key_id, new_id)
                started = time.perf_counter()
                async with conn.transaction():
                    parcel_id = None
                    for sql, params in statements:
                        if params[0] is None:
                            params = (parcel_id, *params[1:])
                        cursor = await conn.execute(sql, params)
                        if "RETURNING" in sql:
                            parcel_id = (await cursor.fetchone())[0]
                latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(writer() for _ in range(concurrency)))
    return time.perf_counter() - started, latencies


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3, help="API and raw runs, taking turns")
    parser.add_argument("--profile", action="store_true", help="one worker under cProfile; prints the hot path")
    args = parser.parse_args()

    env = environment()
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    python = sys.executable
    subprocess.run([python, "manage.py", "ensure_database"], cwd=ROOT, env=env, check=True)
    subprocess.run([python, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)

    import django

    django.setup()
    import redis
    from django.db import connection

    from apps.common.ids import new_id
    from apps.merchants.services import api_key_issue, merchant_create
    from apps.resources.services import carrier_upsert, service_upsert

    redis.Redis.from_url(env["REDIS_URL"]).flushdb()
    with connection.cursor() as cursor:  # a clean slate for every run
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE 'django_%'"
            " AND tablename NOT LIKE 'auth_%'"
        )
        tables = [row[0] for row in cursor.fetchall()]
        cursor.execute("TRUNCATE " + ", ".join(tables) + " RESTART IDENTITY CASCADE")
    carrier = carrier_upsert(code="bench-post", name="Bench Post", endpoint_url=f"{env['SITE_URL']}/sandbox/")
    service_upsert(
        carrier=carrier,
        code="standard",
        name="Standard",
        level="standard",
        transit_days=(5, 8),
        max_weight_g=30000,
        base_price=Decimal("10"),
        price_per_kg=Decimal("2"),
        currency="USD",
        lanes=[("CN", "DE", [])],
    )
    merchant = merchant_create(name="Bench merchant")
    key, plaintext = api_key_issue(merchant=merchant, name="bench")

    logs = ROOT / "bench" / "results"
    logs.mkdir(exist_ok=True)
    (ROOT / "var").mkdir(exist_ok=True)
    workers = 1 if args.profile else args.workers
    web = [python, "-m", "gunicorn", "logistics.wsgi", "--bind", f"127.0.0.1:{PORT}", "--workers", str(workers)]
    web += ["--worker-class", "sync", "--backlog", "2048", "--log-level", "warning"]
    if args.profile:
        web += ["--config", str(ROOT / "bench" / "gunicorn_profile.py"), "--timeout", "300"]
        env["INTAKE_PROFILE"] = str(ROOT / "var" / "intake.prof")
    log = open(logs / "intake-web.log", "w")  # noqa: SIM115
    server = subprocess.Popen(web, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        import httpx

        for _ in range(150):
            try:
                if httpx.get(f"{env['SITE_URL']}/health/", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        else:
            raise SystemExit("gunicorn did not come up; see bench/results/intake-web.log")

        run = uuid.uuid4().hex[:8]
        asyncio.run(load(plaintext=plaintext, count=args.warmup, concurrency=args.concurrency, run=f"warm{run}"))
        if args.profile:
            measure_api(plaintext, args, run)
            return
        print(f"gunicorn: {args.workers} sync workers; client: asyncio HTTP/1.1, {args.concurrency} in flight")
        db = connection.settings_dict
        dsn = f"host={db['HOST']} port={db['PORT']} user={db['USER']} dbname={db['NAME']}"
        # The machine is shared and its speed drifts from minute to minute, so the API and the
        # raw inserts take turns, and each round's ratio compares two runs a few seconds apart.
        ratios = []
        for r in range(1, args.rounds + 1):
            before = cpu_seconds(server.pid)
            api = measure_api(plaintext, args, f"{run}r{r}", label=f"API POST /api/v1/orders/ ({r})")
            print_cpu(before, cpu_seconds(server.pid), args.orders)
            before = cpu_seconds(server.pid)
            raw_seconds, raw_latencies = asyncio.run(
                raw_load(
                    dsn=dsn,
                    count=args.orders,
                    concurrency=args.concurrency,
                    run=f"raw{r}{run}",
                    merchant_id=merchant.pk,
                    key_id=key.pk,
                    new_id=new_id,
                )
            )
            raw = summary(f"raw psycopg inserts ({r})", len(raw_latencies), raw_seconds, raw_latencies)
            print_cpu(before, cpu_seconds(server.pid), args.orders)
            ratios.append(api["rate"] / raw["rate"])
            print(f"  ratio of round {r}: {ratios[-1]:.3f}")
        print(f"ratio (API / raw), median of {len(ratios)} rounds: {statistics.median(ratios):.2f}")
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    if args.profile:
        import pstats

        pstats.Stats(str(ROOT / "var" / "intake.prof")).sort_stats("cumulative").print_stats(45)


def measure_api(plaintext: str, args, run: str, label: str = "API POST /api/v1/orders/") -> dict:
    seconds, latencies, statuses = asyncio.run(
        load(plaintext=plaintext, count=args.orders, concurrency=args.concurrency, run=run)
    )
    if statuses != {201: len(latencies)}:
        raise SystemExit(f"not every request created an order: {statuses}")
    return summary(label, len(latencies), seconds, latencies)


if __name__ == "__main__":
    # A SIGTERM (timeout, Ctrl-C in a supervisor) unwinds through `finally`, which stops the
    # servers and workers this started; otherwise they would outlive it holding connections.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    main()
