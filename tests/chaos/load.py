"""The fault suite's load driver: an ERP posting orders, in a process of its own.

Posts up to `--count` orders to `POST /api/v1/orders/` at `--rate` a second, for at most
`--seconds`, only to 127.0.0.1. Each order has its own reference, sent again as its
`Idempotency-Key`; an order answered 429, 5xx or not at all is sent again (after `Retry-After`,
at most 2 s) until it gets an answer that settles it or the time is up, like an ERP's retry
queue. Every attempt is one JSON line in `--out`: reference, attempt, start time, latency,
status, order id (on 201), content type, Retry-After, error.

Run by the suite (tests/chaos/harness.py: LoadDriver); the API key comes in CHAOS_API_KEY.
"""

import argparse
import itertools
import json
import os
import sys
import threading
import time
from urllib.parse import urlsplit

import httpx

RETRIED = {429, 500, 502, 503, 504}
WORKERS = 12


def order_payload(*, reference: str, route: str, service_level: str = "standard") -> dict:
    carrier_service, _, postcode = route.partition("@")
    return {
        "reference": reference,
        "service_level": service_level,
        "carrier_service": carrier_service,
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
            "line1": "Hauptstr. 5",
            "city": "Berlin",
            "postal_code": postcode or "10115",
            "country": "DE",
            "email": "anna@example.com",
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="the platform's base URL, on 127.0.0.1")
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--rate", type=float, required=True, help="new orders per second")
    parser.add_argument("--prefix", required=True, help="references are <prefix>-<n>")
    parser.add_argument("--route", action="append", required=True, help="carrier/service[@postcode], in turn")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    if urlsplit(args.url).hostname != "127.0.0.1":
        parser.error("the load driver only talks to 127.0.0.1")
    if args.count > 5000 or args.seconds > 900:
        parser.error("bounded: at most 5000 orders and 900 seconds")

    client = httpx.Client(
        base_url=args.url,
        headers={"Authorization": f"Bearer {os.environ['CHAOS_API_KEY']}"},
        timeout=httpx.Timeout(10.0, connect=2.0),
        limits=httpx.Limits(max_connections=WORKERS),
    )
    started = time.monotonic()
    stop_at = started + args.seconds
    numbers = itertools.count()
    lock = threading.Lock()
    out = open(args.out, "w")  # noqa: SIM115 (closed at the end of main)

    def record(line: dict) -> None:
        with lock:
            if not out.closed:
                out.write(json.dumps(line) + "\n")
                out.flush()

    def send(n: int) -> None:
        reference = f"{args.prefix}-{n}"
        body = order_payload(reference=reference, route=args.route[n % len(args.route)])
        for attempt in itertools.count(1):
            began, t = time.monotonic(), time.time()
            line = {"reference": reference, "attempt": attempt, "t": t, "status": None, "order_id": None}
            wait = 1.0
            try:
                response = client.post("/api/v1/orders/", json=body, headers={"Idempotency-Key": reference})
            except httpx.HTTPError as exc:
                line |= {"latency": time.monotonic() - began, "error": type(exc).__name__}
            else:
                content_type = response.headers.get("content-type", "")
                line |= {
                    "latency": time.monotonic() - began,
                    "status": response.status_code,
                    "content_type": content_type,
                    "retry_after": response.headers.get("retry-after"),
                }
                if response.status_code == 201:
                    line["order_id"] = str(response.json()["id"])
                elif "json" in content_type:
                    line["code"] = response.json().get("code")
                else:
                    line["body"] = response.text[:200]
                try:
                    wait = min(2.0, float(line["retry_after"] or 1))
                except ValueError:
                    wait = 1.0
            record(line)
            if line["status"] is not None and line["status"] not in RETRIED:
                return
            if time.monotonic() + wait > stop_at:
                return
            time.sleep(wait)

    def worker() -> None:
        while True:
            with lock:
                n = next(numbers)
            if n >= args.count:
                return
            due = started + n / args.rate
            if due > stop_at:
                return
            time.sleep(max(0.0, due - time.monotonic()))
            send(n)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(0.0, stop_at - time.monotonic()) + 15)
    with lock:
        out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
