"""Faults under load, each scenario ending with the one checker (tests/chaos/check.py).

`make test` runs them small; `make chaos` at full size (CHAOS_SCALE=full) and writes the figures
to docs/reliability.md.
"""

import math
import signal
import time
from datetime import UTC, datetime

import httpx
import psycopg
import pytest

from tests.chaos.check import check, progress_mark, unsettled_count
from tests.chaos.harness import LoadDriver, percentile

pytestmark = [pytest.mark.chaos, pytest.mark.e2e]

ROUTES = ["swift-express/standard", "euro-post/standard", "berlin-bike/standard@10115"]
RESUME_WITHIN_SECONDS = 10
RETRY_SECONDS = 10


class ChaosViolation(AssertionError):
    """The platform broke a promise under a fault (as opposed to the harness failing)."""


def load(platform, servers, scale, *, prefix: str, seconds: float) -> LoadDriver:
    """New orders at the scale's rate for `seconds`, and up to 10 s more for their retries."""
    return LoadDriver(
        workdir=platform.workdir,
        url=platform.web_url,
        api_key=servers.merchant["api_key"],
        count=math.ceil(scale.rate * seconds),
        seconds=seconds + RETRY_SECONDS,
        rate=scale.rate,
        prefix=prefix,
        routes=ROUTES,
    ).start()


def settle(db_conn, created: dict[str, str], *, seconds: float, stall_seconds: float) -> float | None:
    """Wait until every created order has settled; how long that took, or None if it did not
    within `seconds` or nothing moved (no transition anywhere) for `stall_seconds`."""
    order_ids = [int(order_id) for order_id in created.values()]
    began = last_move = time.monotonic()
    last_mark = None
    while time.monotonic() - began < seconds and time.monotonic() - last_move < stall_seconds:
        if unsettled_count(db_conn, order_ids=order_ids) == 0:
            return round(time.monotonic() - began, 1)
        mark = progress_mark(db_conn)
        if mark != last_mark:
            last_mark, last_move = mark, time.monotonic()
        time.sleep(1)
    return None


def first_booking_between(db_conn, start: float, end: float) -> float | None:
    """Seconds from `start` to the first shipment the sandbox carriers created before `end`."""
    row = db_conn.execute(
        "SELECT min(created_at) FROM sandbox_sandboxshipment WHERE created_at >= %s AND created_at < %s",
        (datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(end, UTC)),
    ).fetchone()
    return round(row[0].timestamp() - start, 1) if row[0] else None


def finish(db_conn, platform, figures, result, *, scale) -> list[str]:
    """Settle, check, record the figures; return the violations."""
    created = result.created
    latencies = result.latencies()
    figures["attempts by status"] = result.statuses()
    figures["intake p50 s"] = seconds(percentile(latencies, 0.5))
    figures["intake p99 s"] = seconds(percentile(latencies, 0.99))
    figures["settled after s"] = settle(
        db_conn, created, seconds=scale.settle_seconds, stall_seconds=scale.stall_seconds
    )
    findings = check(db_conn, created=created)
    figures.update(findings.figures())
    figures["process restarts"] = platform.restarts()
    return findings.violations


def seconds(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def fail_if(violations: list[str], platform) -> None:
    if violations:
        raise ChaosViolation("\n".join(violations) + "\n" + platform.output(1500))


@pytest.mark.xfail(
    strict=False,
    raises=ChaosViolation,
    reason="Redis restarted empty loses the Celery messages it held, and nothing sends them again: the "
    "relay marked their outbox events relayed when it published them. Full size (240 orders; Redis down "
    "30 s, then restarted empty 20 s later), two runs: 0 lost, 0 booked twice, bookings resumed within "
    "2.2 s of Redis being back, but 135 and 152 of 240 never settled: 64 and 29 `accepted` (their "
    "scheduling handler's message gone), 54 and 100 `scheduled` behind lanes whose concurrency slots "
    "stay held by entries left `released` when the events that free them were lost (berlin-bike: 3 of "
    "3), 16 `in_fulfillment`, a few stopped mid-tracking. In one run the webhooks worker died on the "
    "second loss of its connection (Celery: 'Unrecoverable error: AttributeError: NoneType has no "
    "attribute hostname'; the supervisor restarted it; in a small run the events worker did). Small "
    "size: 2 to 6 of 26 unsettled. Measured before the outbox re-published lost messages and the "
    "lanes' sweeper freed stale slots; since both, the small size settles every order (26 of 26): "
    "the full size is to be measured again before this mark goes.",
)
def test_redis_stopped_and_restarted_empty_during_load(platform, servers, db_conn, scale, figures):
    """Redis is stopped (killed) for a while during load and started again, empty; later it is
    restarted empty at once. No order is lost, every order is booked once, and the lanes book
    again within 10 s of Redis being back."""
    seconds = scale.lead + scale.redis_outage + scale.redis_gap + scale.tail
    driver = load(platform, servers, scale, prefix="redis", seconds=seconds)
    time.sleep(scale.lead)
    servers.redis.stop()
    time.sleep(scale.redis_outage)
    servers.redis.start()
    back = time.time()
    time.sleep(scale.redis_gap)
    servers.redis.restart_empty()
    back_again = time.time()
    result = driver.wait()

    violations = finish(db_conn, platform, figures, result, scale=scale)
    resumed = first_booking_between(db_conn, back, back_again)
    resumed_again = first_booking_between(db_conn, back_again, time.time())
    figures["redis down s"] = scale.redis_outage
    figures["first booking after redis back s"] = resumed
    figures["first booking after the empty restart s"] = resumed_again
    for name, after in (("stop", resumed), ("empty restart", resumed_again)):
        if after is None or after > RESUME_WITHIN_SECONDS:
            violations.append(f"lanes did not book within {RESUME_WITHIN_SECONDS} s of Redis back ({name}): {after}")
    fail_if(violations, platform)


@pytest.mark.xfail(
    strict=False,
    raises=ChaosViolation,
    reason="A worker's main process killed with SIGKILL takes the tasks it had reserved with it: with "
    "late acks on the Redis transport they wait in the unacked set for the visibility timeout "
    "(CELERY_BROKER_TRANSPORT_OPTIONS, 3600 s) before anyone runs them again. Full size (300 orders; "
    "4 pool-process and 4 main-process kills 10 s apart, then a rolling SIGTERM), two runs: 0 lost, 0 "
    "booked twice, but 6 and 4 of 300 unsettled: 3 `in_fulfillment` with the leg in `booking` after 1 "
    "attempt, no shipment at the carrier, the lane entry `released` (a concurrency slot held), 1 or 2 "
    "`accepted`. Small size: 2 to 4 of 20. A killed pool process alone is redelivered at once "
    "(reject_on_worker_lost) and books once. Measured before lane work had leases swept back to "
    "the queue; since then the small size settles every order (20 of 20): the full size is to be "
    "measured again before this mark goes.",
)
def test_workers_killed_and_restarted_during_bookings(platform, servers, db_conn, scale, figures):
    """During the bookings a worker is SIGKILLed at a regular interval (in turn one of its pool
    processes, which its master replaces, and the master itself, which the supervisor restarts),
    then every worker gets a rolling SIGTERM (warm shutdown) and restart. Every order is booked
    exactly once."""
    for carrier in ("swift-express", "euro-post", "berlin-bike"):
        platform.sandbox(carrier, latency_ms=300)  # bookings in flight when the kills land
    driver = load(platform, servers, scale, prefix="kill", seconds=scale.kills * scale.kill_every + scale.tail)
    kills: list[str] = []
    for turn in range(scale.kills):
        time.sleep(scale.kill_every)
        if turn % 2 == 0:
            victim = platform.kill_pool_child("worker")
            kills.append("pool process" if victim else "none (no pool process)")
        else:
            platform.kill("worker", signal.SIGKILL)
            kills.append("main process")
            time.sleep(1)  # the supervisor's turn
        platform.wait_ready(["worker"])
    rolling = {name: round(platform.restart_gracefully(name), 1) for name in ("worker", "webhooks")}
    result = driver.wait()

    violations = finish(db_conn, platform, figures, result, scale=scale)
    figures["kills"] = kills
    figures["rolling SIGTERM: seconds to stop"] = rolling
    fail_if(violations, platform)


def test_database_stopped_during_intake(platform, servers, db_conn, scale, figures):
    """PostgreSQL stops (a fast shutdown) during intake and comes back. Meanwhile the API answers
    503 JSON with Retry-After, never a 500 or HTML; every process recovers by itself (no
    restarts), and every order answered 201 settles, booked once."""
    driver = load(platform, servers, scale, prefix="pg", seconds=scale.lead + scale.pg_outage + scale.tail)
    time.sleep(scale.lead)
    db_conn.close()
    servers.pg.stop()
    down = time.time()
    time.sleep(scale.pg_outage)
    servers.pg.start()
    back = time.time()
    healthy_after = None
    while time.time() - back < 30:
        try:
            if httpx.get(f"{platform.web_url}/health/", timeout=2).status_code == 200:
                healthy_after = round(time.time() - back, 1)
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    result = driver.wait()

    with psycopg.connect(servers.pg.url(platform.dbname), autocommit=True) as conn:
        violations = finish(conn, platform, figures, result, scale=scale)
    during = [a for a in result.attempts if down <= a["t"] < back]
    answers = {}
    for attempt in during:
        shape = f"{attempt['status'] or attempt.get('error')} {attempt.get('content_type', '')}".strip()
        if attempt["status"] == 503:
            shape += " Retry-After" if attempt.get("retry_after") else " no Retry-After"
        answers[shape] = answers.get(shape, 0) + 1
    figures["database down s"] = scale.pg_outage
    figures["answers while down"] = answers
    figures["health 200 after database back s"] = healthy_after
    wrong = {
        shape: n
        for shape, n in answers.items()
        if not (shape.startswith("503 application/json") and shape.endswith(" Retry-After"))
        and not shape.startswith("201 ")
    }
    if wrong:
        violations.append(f"answers other than 503 JSON with Retry-After while the database was down: {wrong}")
    if not any(shape.startswith("503 ") for shape in answers):
        violations.append("no request reached the API while the database was down")
    if healthy_after is None:
        violations.append("/health/ did not answer 200 within 30 s of the database being back")
    if platform.restarts():
        violations.append(f"processes had to be restarted: {platform.restarts()}")
    fail_if(violations, platform)
