"""Carrier health: one circuit breaker per carrier, its state shared by every worker through Redis.

A run of `CARRIER_BREAKER_FAIL_MAX` failures or timeouts in a row opens the circuit. While it is
open no call goes to that carrier and its work waits (scheduling holds the lane; booking tasks
sleep until the probe time). After `CARRIER_BREAKER_RESET_SECONDS` one caller, and only one, is
let through as a half-open probe: success closes the circuit, failure opens it again. A carrier's
refusal of one request (a 4xx) shows that it is up, so it counts as a success here.

Each step is one Lua script, so concurrent workers on many hosts see one consistent state and
never hold a lock while a carrier thinks. (pybreaker, tried first, serialises every call of a
process through one lock, which capped a threaded worker at one booking at a time.)
"""

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


@dataclass(frozen=True)
class CircuitStatus:
    carrier_code: str
    state: str  # closed, open or half-open
    failures: int
    retry_in_seconds: float


class CircuitOpen(CarrierTransientError):
    def __init__(self, carrier_code: str, retry_in: float) -> None:
        super().__init__(f"circuit of {carrier_code} is open; next probe in {retry_in:.0f} s")
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
    """Make a call to a carrier through its circuit; raise CircuitOpen instead when it must wait."""
    verdict, retry_in = _redis().eval(
        _ADMIT, 1, _key(carrier_code), time.time(), settings.CARRIER_BREAKER_RESET_SECONDS, _probe_timeout()
    )
    if int(verdict) == 0:
        raise CircuitOpen(carrier_code, float(retry_in))
    try:
        result = call(*args, **kwargs)
    except CarrierPermanentError:
        _redis().eval(_SUCCEED, 1, _key(carrier_code))
        raise
    except CarrierTransientError:
        _redis().eval(_FAIL, 1, _key(carrier_code), time.time(), settings.CARRIER_BREAKER_FAIL_MAX)
        raise
    _redis().eval(_SUCCEED, 1, _key(carrier_code))
    return result


def circuit_status(carrier_code: str) -> CircuitStatus:
    raw = {k.decode(): v.decode() for k, v in _redis().hgetall(_key(carrier_code)).items()}
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
