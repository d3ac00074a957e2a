"""What a carrier was sent, measured from records, against a lane's limits (rate with a burst,
calls in flight).

Two records: ours, `distribution_carriercall` (one row per call to a carrier, written when the
call ended: it started `duration_ms` before `created_at`), and the sandbox's own,
`sandbox_sandboxshipment` (one row per shipment the carrier created, `created_at` while it
handled the booking). A lane's gate is a token bucket (apps/scheduling/gate.py): at most `burst`
calls at once and `rate` a second after that, so in any stretch of `w` seconds it lets through at
most `burst + rate * w` calls; in flight at once, at most `max_in_flight`.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg

from apps.distribution.models import CarrierCall
from apps.sandbox.models import SandboxShipment
from apps.scheduling.models import Lane

# The gate grants a token right before the call, but neither record stamps that moment: ours
# stamps the call's start after the booking's own database work, the sandbox its shipment once its
# request got a turn in gunicorn. On a busy two-core machine (load average 10 to 24 from other
# work) that delay varies by most of a second, so calls that went one after the other can look
# closer together than they were: after a paused lane resumed at 2/s (burst 4), 7 shipments were
# stamped within one second (at most 6 can go), 1.7 calls past the bucket taken at face value.
# The bucket itself is exact (one Lua script on Redis's clock); each stretch is read this much longer.
# One second was not enough at small size (1/s, burst 2) with the machine at load 3.5-10: the
# sandbox stamped 4 shipments within half a second of the lane's release, twice in a row, while
# our own records of the same calls never had more than 3 starting in any second (excess -0.18
# and -0.48: within the bucket). Two seconds is 2 tokens at small size, 4 at full; a gate that
# let calls through unlimited would still show an excess growing with every second of the run.
STAMP_JITTER_SECONDS = 2.0


@dataclass(frozen=True)
class LaneLimits:
    rate: float
    burst: float
    max_in_flight: int


def lane_limits(conn: psycopg.Connection, *, carrier_code: str) -> LaneLimits:
    """The limits the carrier's lane ran with (it follows the carrier's row, or operations)."""
    row = conn.execute(
        f"SELECT requests_per_second, burst, max_in_flight FROM {Lane._meta.db_table} WHERE key = %s",  # noqa: S608
        (f"carrier:{carrier_code}",),
    ).fetchone()
    return LaneLimits(rate=float(row[0]), burst=float(row[1]), max_in_flight=int(row[2]))


def _stamp(moment: float) -> datetime:
    return datetime.fromtimestamp(moment, UTC)


def calls(conn: psycopg.Connection, *, carrier_code: str, since: float = 0, until: float = 4e9) -> list[dict]:
    """Every call to the carrier that ended in [since, until): start, end (epoch seconds), operation, outcome."""
    table = CarrierCall._meta.db_table
    rows = conn.execute(
        "SELECT extract(epoch FROM created_at)::float8, duration_ms, operation, outcome "  # noqa: S608
        f"FROM {table} WHERE carrier_code = %s AND created_at >= %s AND created_at < %s ORDER BY created_at",
        (carrier_code, _stamp(since), _stamp(until)),
    ).fetchall()
    return [
        {"start": end - duration / 1000, "end": end, "operation": operation, "outcome": outcome}
        for end, duration, operation, outcome in rows
    ]


def shipments(conn: psycopg.Connection, *, carrier_code: str, references: list[str] | None = None) -> list[float]:
    """When the carrier created each of its shipments (of these order numbers), by its own records."""
    query = (
        f"SELECT extract(epoch FROM created_at)::float8 FROM {SandboxShipment._meta.db_table} WHERE carrier_code = %s"  # noqa: S608
    )
    args: tuple = (carrier_code,)
    if references is not None:
        query, args = query + " AND reference = ANY(%s)", (*args, references)
    return sorted(row[0] for row in conn.execute(query + " ORDER BY created_at", args).fetchall())


def max_in_window(times: list[float], seconds: float = 1.0) -> int:
    """The most of `times` inside any stretch [t, t + seconds)."""
    ordered, most, first = sorted(times), 0, 0
    for last, moment in enumerate(ordered):
        while moment - ordered[first] >= seconds:
            first += 1
        most = max(most, last - first + 1)
    return most


def bucket_excess(times: list[float], *, rate: float, burst: float, jitter: float = STAMP_JITTER_SECONDS) -> float:
    """How far the calls went past the token bucket at worst: the largest `n - burst - rate * w`
    over every run of n calls spanning w seconds (each stretch read `jitter` longer, for the
    stamps); 0 or less means within the limits."""
    ordered = sorted(times)
    worst, lowest = float("-inf"), float("inf")
    for index, moment in enumerate(ordered):
        lowest = min(lowest, index - rate * moment)  # the run's first call
        worst = max(worst, (index - rate * moment) - lowest + 1 - burst - rate * jitter)
    return 0.0 if not ordered else round(worst, 2)


def max_concurrent(intervals: list[tuple[float, float]]) -> int:
    """The most intervals open at one moment."""
    edges = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    most = current = 0
    for _, step in edges:  # at a tie an end comes first: one call's end, the next one's start
        current += step
        most = max(most, current)
    return most


def per_second(times: list[float], since: float, until: float) -> float | None:
    """How many of `times` fell in [since, until), per second."""
    if until <= since:
        return None
    return round(sum(1 for t in times if since <= t < until) / (until - since), 2)
