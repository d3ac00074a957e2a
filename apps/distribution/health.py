"""Carrier health: one circuit breaker per carrier, its state shared by every worker through Redis.

A run of failures or timeouts opens the circuit; while it is open no call goes to that carrier
and its work waits (scheduling holds the lane, booking tasks sleep until the probe time). After
the reset timeout the next call is a half-open probe: success closes the circuit, failure opens
it again. A carrier's refusal of one request (a 4xx) says nothing about its health and does not
count.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

import pybreaker
import redis
from django.conf import settings

from apps.distribution.exceptions import CarrierPermanentError

_breakers: dict[str, pybreaker.CircuitBreaker] = {}
_storages: dict[str, pybreaker.CircuitRedisStorage] = {}
_redis: redis.Redis | None = None


@dataclass(frozen=True)
class CircuitStatus:
    carrier_code: str
    state: str  # closed, open or half-open
    failures: int
    retry_in_seconds: float


def _client() -> redis.Redis:
    global _redis
    if _redis is None:
        _redis = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    return _redis


def breaker_for(carrier_code: str) -> pybreaker.CircuitBreaker:
    if carrier_code not in _breakers:
        storage = _storages[carrier_code] = pybreaker.CircuitRedisStorage(
            pybreaker.STATE_CLOSED, _client(), namespace=f"{settings.CARRIER_BREAKER_NAMESPACE}:{carrier_code}"
        )
        _breakers[carrier_code] = pybreaker.CircuitBreaker(
            fail_max=settings.CARRIER_BREAKER_FAIL_MAX,
            reset_timeout=settings.CARRIER_BREAKER_RESET_SECONDS,
            exclude=[CarrierPermanentError],
            state_storage=storage,
            throw_new_error_on_trip=False,
            name=carrier_code,
        )
    return _breakers[carrier_code]


def circuit_status(carrier_code: str) -> CircuitStatus:
    breaker = breaker_for(carrier_code)
    state = breaker.current_state
    retry_in = 0.0
    opened_at = _storages[carrier_code].opened_at
    if state == pybreaker.STATE_OPEN and opened_at:
        elapsed = (datetime.now(UTC) - opened_at).total_seconds()
        retry_in = max(0.0, breaker.reset_timeout - elapsed)
        if retry_in == 0.0:
            state = pybreaker.STATE_HALF_OPEN  # the next call will be the probe
    return CircuitStatus(carrier_code=carrier_code, state=state, failures=breaker.fail_counter,
                         retry_in_seconds=retry_in)


def forget_breakers() -> None:
    """Drop this process's breaker objects (their shared state stays in Redis)."""
    _breakers.clear()
    _storages.clear()
