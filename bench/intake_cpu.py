"""CPU per order creation, in-process: the WSGI handler called directly, no server, no socket.

Run `bench/intake.py` once first (it creates and seeds the bench database). This sends
`--orders` POST /api/v1/orders/ through Django's WSGI handler in this process and prints the
CPU time per request (time.process_time, so time spent waiting on PostgreSQL or Redis does not
count) and, with `--profile`, the CPU profile by cumulative time.

    .venv/bin/python bench/intake_cpu.py [--orders 1000] [--profile]
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from intake import environment, payload


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    os.environ.update(environment())

    import django

    django.setup()
    from django.core.handlers.wsgi import WSGIHandler

    from apps.merchants.models import Merchant
    from apps.merchants.services import api_key_issue

    merchant = Merchant.objects.order_by("pk").first()
    if merchant is None:
        raise SystemExit("run bench/intake.py first: it seeds the bench database")
    _, plaintext = api_key_issue(merchant=merchant, name=f"cpu-{uuid.uuid4().hex[:6]}")
    handler = WSGIHandler()
    run = uuid.uuid4().hex[:8]

    def post(n: int) -> int:
        body = json.dumps(payload(n, run)).encode()
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": "/api/v1/orders/",
            "QUERY_STRING": "",
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(body)),
            "HTTP_AUTHORIZATION": f"Bearer {plaintext}",
            "HTTP_IDEMPOTENCY_KEY": f"{run}-{n}",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8124",
            "HTTP_HOST": "127.0.0.1:8124",
            "wsgi.input": io.BytesIO(body),
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
        }
        status = []
        b"".join(handler(environ, lambda s, h, *a: status.append(s)))
        return int(status[0][:3])

    for n in range(50):  # warm up: imports, caches, connections
        assert post(n) == 201
    profiler = cProfile.Profile(time.process_time) if args.profile else None
    cpu, wall = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    for n in range(50, 50 + args.orders):
        status = post(n)
        if status != 201:
            raise SystemExit(f"order {n}: HTTP {status}")
    if profiler:
        profiler.disable()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    per_order = 1000 / args.orders
    print(f"{args.orders} orders: CPU {cpu * per_order:.2f} ms/order, wall {wall * per_order:.2f} ms/order")
    if profiler:
        pstats.Stats(profiler).sort_stats(os.environ.get("SORT", "cumulative")).print_stats(60)


if __name__ == "__main__":
    main()
