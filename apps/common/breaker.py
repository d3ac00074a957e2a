"""Circuit breakers for the systems we call (carriers, warehouses' WMS), one per downstream, their
state shared by every worker through Redis.

A run of `CARRIER_BREAKER_FAIL_MAX` failures or timeouts in a row opens the circuit. While it is
open no call goes to that downstream and its work waits (scheduling holds the lane). After
`CARRIER_BREAKER_RESET_SECONDS` one caller, and only one, is let through as a half-open probe:
success closes the circuit, failure opens it again. A downstream's refusal of one request (a 4xx)
shows that it is up, so it counts as a success.

Each step is one Lua script, so concurrent workers on many hosts see one consistent state and
never hold a lock while a downstream thinks. (pybreaker, tried first, serialises every call of a
process through one lock, which capped a threaded worker at one booking at a time.)

When Redis does not answer, the state is `unknown` and the breaker fails closed: no call goes out
and callers hold their work for `CARRIER_BREAKER_UNKNOWN_RETRY_SECONDS` as if the circuit were
open (a breaker that cannot count failures must not let a failing downstream be hammered). An
outcome that cannot be written after a call is only logged.

A downstream is named by the caller: a carrier by its code (`euro-post`), a warehouse's WMS as
`warehouse:<code>`.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import redis
from django.conf import settings

# Returns {verdict, retry_in}: verdict 1 = call, 2 = call as the probe, 0 = wait retry_in seconds.
_ADMIT = """
local key, now, reset, probe_timeout = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local state = redis.call('HGET', key, 'state') or 'closed'
if state == 'closed' then return {1, '0'} end
if state == 'open' then
  local reopen = tonumber(redis.call('HGET', key, 'opened_at')) + reset
  if now < reopen then return {0, tostring(reopen - now)} end
end
local probe_until = tonumber(redis.call('HGET', key, 'probe_until') or '0')
if now < probe_until then return {0, tostring(probe_until - now)} end
redis.call('HSET', key, 'state', 'half-open', 'probe_until', now + probe_timeout)
return {2, '0'}
"""
_SUCCEED = """
redis.call('HSET', KEYS[1], 'state', 'closed', 'failures', 0, 'probe_until', 0)
"""
_FAIL = """
local key, now, fail_max = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2])
local state = redis.call('HGET', key, 'state') or 'closed'
local failures = redis.call('HINCRBY', key, 'failures', 1)
if state == 'half-open' or failures >= fail_max then
  redis.call('HSET', key, 'state', 'open', 'opened_at', now, 'probe_until', 0)
end
"""

_client: redis.Redis | None = None

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CircuitStatus:
    downstream: str
    state: str  # closed, open, half-open, or unknown while Redis does not answer
    failures: int
    retry_in_seconds: float

    @property
    def taking_calls(self) -> bool:
        return self.state in ("closed", "half-open")


class MustWait(Exception):
    """The circuit is open (or unknown): no call was made; ask again in `retry_in` seconds."""

    def __init__(self, downstream: str, retry_in: float, *, state: str = "open") -> None:
        super().__init__(f"circuit of {downstream} is {state}; next probe in {retry_in:.0f} s")
        self.downstream, self.retry_in, self.state = downstream, retry_in, state


def _redis() -> redis.Redis:
    global _client
    if _client is None:
        _client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    return _client


def _key(downstream: str) -> str:
    return f"{settings.CARRIER_BREAKER_NAMESPACE}:{downstream}"


def guarded[T](
    downstream: str,
    call: Callable[[], T],
    *,
    failures: tuple[type[BaseException], ...],
    refusals: tuple[type[BaseException], ...] = (),
    probe_timeout: float,
) -> T:
    """Make `call` through the downstream's circuit, or raise MustWait when it must wait (also when
    Redis cannot say whether the circuit is open). An exception in `failures` counts against the
    downstream, one in `refusals` (it answered, and said no) for it; both go up to the caller."""
    try:
        verdict, retry_in = _redis().eval(
            _ADMIT, 1, _key(downstream), time.time(), settings.CARRIER_BREAKER_RESET_SECONDS, probe_timeout
        )
    except redis.RedisError as exc:
        logger.warning("circuit of %s unknown (%s); holding the call", downstream, exc)
        raise MustWait(downstream, settings.CARRIER_BREAKER_UNKNOWN_RETRY_SECONDS, state="unknown") from exc
    if int(verdict) == 0:
        raise MustWait(downstream, float(retry_in))
    try:
        result = call()
    except refusals:
        _record(downstream, _SUCCEED)
        raise
    except failures:
        _record(downstream, _FAIL, time.time(), settings.CARRIER_BREAKER_FAIL_MAX)
        raise
    _record(downstream, _SUCCEED)
    return result


def _record(downstream: str, script: str, *args) -> None:
    # The call has happened: its outcome must reach the caller even when Redis cannot count it.
    try:
        _redis().eval(script, 1, _key(downstream), *args)
    except redis.RedisError as exc:
        logger.warning("could not record the outcome of a call to %s in its circuit (%s)", downstream, exc)


def circuit_status(downstream: str) -> CircuitStatus:
    try:
        raw = {k.decode(): v.decode() for k, v in _redis().hgetall(_key(downstream)).items()}
    except redis.RedisError as exc:
        logger.warning("circuit of %s unknown (%s)", downstream, exc)
        return CircuitStatus(
            downstream=downstream,
            state="unknown",
            failures=0,
            retry_in_seconds=settings.CARRIER_BREAKER_UNKNOWN_RETRY_SECONDS,
        )
    state = raw.get("state", "closed")
    retry_in = 0.0
    if state == "open":
        retry_in = max(0.0, float(raw["opened_at"]) + settings.CARRIER_BREAKER_RESET_SECONDS - time.time())
        if retry_in == 0.0:
            state = "half-open"  # the next call will be the probe
    return CircuitStatus(
        downstream=downstream, state=state, failures=int(raw.get("failures", 0)), retry_in_seconds=retry_in
    )


def circuit_reset(downstream: str) -> None:
    """Close a downstream's circuit by hand (operations, tests)."""
    _redis().delete(_key(downstream))
