"""Carrier health: one circuit breaker per carrier, its state shared by every worker through Redis.

A run of `CARRIER_BREAKER_FAIL_MAX` failures or timeouts in a row opens the circuit. While it is
open no call goes to that carrier and its work waits (scheduling holds the lane; booking tasks
sleep until the probe time). After `CARRIER_BREAKER_RESET_SECONDS` one caller, and only one, is
let through as a half-open probe: success closes the circuit, failure opens it again. A carrier's
refusal of one request (a 4xx) shows that it is up, so it counts as a success here.

Each step is one Lua script, so concurrent workers on many hosts see one consistent state and
never hold a lock while a carrier thinks. (pybreaker, tried first, serialises every call of a
process through one lock, which capped a threaded worker at one booking at a time.)

When Redis does not answer, the state is `unknown` and the breaker fails closed toward the
carrier: no call goes out and callers hold their work for `CARRIER_BREAKER_UNKNOWN_RETRY_SECONDS`
as if the circuit were open (a breaker that cannot count failures must not let a failing
carrier be hammered). An outcome that cannot be written after a call is only logged.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import redis
from django.conf import settings

from apps.distribution.exceptions import CarrierPermanentError, CarrierTransientError

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
    carrier_code: str
    state: str  # closed, open, half-open, or unknown while Redis does not answer
    failures: int
    retry_in_seconds: float

    @property
    def taking_calls(self) -> bool:
        return self.state in ("closed", "half-open")


class CircuitOpen(CarrierTransientError):
    def __init__(self, carrier_code: str, retry_in: float, *, state: str = "open") -> None:
        super().__init__(f"circuit of {carrier_code} is {state}; next probe in {retry_in:.0f} s")
        self.retry_in = retry_in


def _redis() -> redis.Redis:
    global _client
    if _client is None:
        _client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    return _client


def _key(carrier_code: str) -> str:
    return f"{settings.CARRIER_BREAKER_NAMESPACE}:{carrier_code}"


def _probe_timeout() -> float:
    return settings.CARRIER_HTTP_TIMEOUT_SECONDS + 5


def guarded_call[T](carrier_code: str, call: Callable[..., T], *args, **kwargs) -> T:
    """Make a call to a carrier through its circuit; raise CircuitOpen instead when it must wait
    (also when Redis cannot say whether the circuit is open)."""
    try:
        verdict, retry_in = _redis().eval(
            _ADMIT, 1, _key(carrier_code), time.time(), settings.CARRIER_BREAKER_RESET_SECONDS, _probe_timeout()
        )
    except redis.RedisError as exc:
        logger.warning("circuit of %s unknown (%s); holding the call", carrier_code, exc)
        raise CircuitOpen(carrier_code, settings.CARRIER_BREAKER_UNKNOWN_RETRY_SECONDS, state="unknown") from exc
    if int(verdict) == 0:
        raise CircuitOpen(carrier_code, float(retry_in))
    try:
        result = call(*args, **kwargs)
    except CarrierPermanentError:
        _record(carrier_code, _SUCCEED)
        raise
    except CarrierTransientError:
        _record(carrier_code, _FAIL, time.time(), settings.CARRIER_BREAKER_FAIL_MAX)
        raise
    _record(carrier_code, _SUCCEED)
    return result


def _record(carrier_code: str, script: str, *args) -> None:
    # The call has happened: its outcome must reach the caller even when Redis cannot count it.
    try:
        _redis().eval(script, 1, _key(carrier_code), *args)
    except redis.RedisError as exc:
        logger.warning("could not record the outcome of a call to %s in its circuit (%s)", carrier_code, exc)


def circuit_status(carrier_code: str) -> CircuitStatus:
    try:
        raw = {k.decode(): v.decode() for k, v in _redis().hgetall(_key(carrier_code)).items()}
    except redis.RedisError as exc:
        logger.warning("circuit of %s unknown (%s)", carrier_code, exc)
        return CircuitStatus(
            carrier_code=carrier_code,
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
        carrier_code=carrier_code, state=state, failures=int(raw.get("failures", 0)), retry_in_seconds=retry_in
    )


def circuit_reset(carrier_code: str) -> None:
    """Close a carrier's circuit by hand (operations, tests)."""
    _redis().delete(_key(carrier_code))
