"""docs/reliability.md from a run of the fault suite (`make chaos` writes it)."""

import inspect
import json
import time
from pathlib import Path

HEADER = """# Reliability: the fault suite

Written by `make chaos` (tests/chaos, CHAOS_SCALE={scale_name}) on {when}; do not edit by hand.
`make test` runs the same scenarios at the small size.

Each scenario starts its own PostgreSQL and Redis (private ports; the machine's services are not
touched), a fresh copy of a migrated and seeded database (three sandbox carriers served by the
platform itself over HTTP), and the Procfile's processes (gunicorn, outbox relay, the Celery
workers of the events/carriers and webhooks queues, beat) under a supervisor that restarts a
process that exits, as systemd would. A load driver in a process of its own posts orders to
`POST /api/v1/orders/` (retrying 429/5xx/no answer with the same Idempotency-Key), while the
scenario injects its faults. One checker ends every scenario, over the database and the sandbox's
own records: every order answered 201 exists once and settled (final, or `exception` with a
reason), at most one shipment at the carriers per order (exactly one, the tracked one, when
delivered), and no history row of any state machine took an arrow its django-fsm machine lacks.
A scenario that fails on today's code is marked as a known failure (xfail) with its finding.

Carriers under pressure: a carrier slow, then down; four worker processes pushing one carrier's
lane at its limits; a merchant's bulk upload beside another merchant's orders (the upload goes
through `POST /api/v1/orders/bulk/`, with the API's per-key rate raised for those scenarios; the
upload scenario runs at the full size only).
What a carrier was sent is measured twice: from our records of every call
(`distribution_carriercall`: a call started `duration_ms` before its `created_at`) and from the
sandbox carrier's own records of the shipments it created (`sandbox_sandboxshipment.created_at`).
A lane's gate is a token bucket (`rate` a second, `burst` at once): in any stretch of w seconds
it lets through at most `burst + rate * w` calls (so up to `burst + rate` in one second after an
idle spell), and the scenarios check exactly that, reading each stretch 1 s longer for the
stamps (on a busy machine a stamp comes up to a second after the gate's token; the figures
also give the excess with the stamps taken as exact), with the calls in flight at most
the lane's `max_in_flight`.
Timing figures (intake p99, throughput shares, how soon an order is booked) are enforced at the
full size only: at the small size, on a shared two-core machine, they are noise; the checker and
the limits are enforced at both sizes.

Sizes: {scale}

| scenario | outcome |
|---|---|
"""


def write_report(target: Path, results: list[dict], *, scale: dict) -> None:
    parts = [
        HEADER.format(
            scale_name=scale["name"],
            when=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            scale=", ".join(f"{k} {v}" for k, v in scale.items() if k != "name"),
        )
    ]
    parts += [f"| {r['scenario']} | {r['outcome']} |\n" for r in results]
    for result in results:
        parts.append(f"\n## {result['scenario']}: {result['outcome']}\n\n{inspect.cleandoc(result['doc'])}\n")
        if result["xfail_reason"]:
            parts.append(f"\nKnown failure: {result['xfail_reason']}\n")
        if result["failure"] and result["outcome"] != "passed":
            found = result["failure"].split("\n--- ")[0]  # the violations, without the processes' output
            parts.append(f"\nWhat the checker found:\n\n```\n{found}\n```\n")
        parts.append(f"\nFigures:\n\n```json\n{json.dumps(result['figures'], indent=2, default=str)}\n```\n")
    target.write_text("".join(parts))
