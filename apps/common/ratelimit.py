"""Token buckets in Redis, shared by every web process.

One Lua script refills and takes tokens atomically, so concurrent requests cannot overdraw a
bucket. When Redis is unreachable the limiter lets requests through and logs it: a rate limit
must never take a healthy platform down with it.

Limits per client address key on `client_address(request)`: behind a reverse proxy every
request comes from the proxy, so the address is read from `X-Forwarded-For` as far as
`TRUSTED_PROXY_COUNT` proxies vouch for it.
"""

import logging
import time
from dataclasses import dataclass

import redis
from django.conf import settings

logger = logging.getLogger(__name__)

_TAKE = """
local tokens_key, stamp_key = KEYS[1], KEYS[2]
local capacity, refill_per_s, cost, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local tokens = tonumber(redis.call('GET', tokens_key) or capacity)
local stamp = tonumber(redis.call('GET', stamp_key) or now)
tokens = math.min(capacity, tokens + math.max(0, now - stamp) * refill_per_s)
-- A cost over the capacity needs a full bucket and leaves it in debt, so the wait after it
-- is as long as its size asks.
local needed = math.min(cost, capacity)
local allowed = tokens >= needed
if allowed then tokens = tokens - cost end
local ttl = math.ceil((capacity - tokens) / refill_per_s) + 1
redis.call('SET', tokens_key, tokens, 'EX', ttl)
redis.call('SET', stamp_key, now, 'EX', ttl)
if allowed then return {1, 0} end
return {0, tostring((needed - tokens) / refill_per_s)}
"""

# What `take(cost=1)` would answer, without taking: for limits that charge only failures.
_PEEK = """
local tokens_key, stamp_key = KEYS[1], KEYS[2]
local capacity, refill_per_s, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local tokens = tonumber(redis.call('GET', tokens_key) or capacity)
local stamp = tonumber(redis.call('GET', stamp_key) or now)
tokens = math.min(capacity, tokens + math.max(0, now - stamp) * refill_per_s)
if tokens >= 1 then return {1, 0} end
return {0, tostring((1 - tokens) / refill_per_s)}
"""

_client: redis.Redis | None = None
_take_script = None
_peek_script = None


def client_address(request) -> str:
    """The address the request came from, as the `TRUSTED_PROXY_COUNT` proxies in front report it.

    Each trusted proxy appends the address it saw to `X-Forwarded-For`, so the client is the
    entry that many places from the right; anything further left was written by the client and
    proves nothing. A request with fewer entries did not come through the proxies: its own
    address stands.
    """
    remote = request.META.get("REMOTE_ADDR", "") or "?"
    trusted = settings.TRUSTED_PROXY_COUNT
    if trusted <= 0:
        return remote
    forwarded = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if len(forwarded) < trusted:
        return remote
    return forwarded[-trusted]


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after_seconds: float = 0.0


def _redis() -> redis.Redis:
    global _client
    if _client is None:
        _client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=0.5, socket_timeout=0.5)
    return _client


def _take(*, keys: list, args: list):
    """The script by its SHA (EVALSHA; loaded again if Redis lost it), not its text each call."""
    global _take_script
    client = _redis()
    if _take_script is None or _take_script.registered_client is not client:
        _take_script = client.register_script(_TAKE)
    return _take_script(keys=keys, args=args)


def peek(*, bucket: str, capacity: float, per_second: float) -> Verdict:
    """Whether `bucket` has a token left, taking none (then `take` charges what turned out to count)."""
    global _peek_script
    try:
        client = _redis()
        if _peek_script is None or _peek_script.registered_client is not client:
            _peek_script = client.register_script(_PEEK)
        allowed, wait = _peek_script(
            keys=[f"rl:{bucket}:tokens", f"rl:{bucket}:stamp"], args=[capacity, per_second, time.time()]
        )
    except redis.RedisError as exc:
        logger.warning("rate limiter unavailable (%s); letting %s through", exc, bucket)
        return Verdict(allowed=True)
    return Verdict(allowed=bool(allowed), retry_after_seconds=float(wait))


def take(*, bucket: str, capacity: float, per_second: float, cost: float = 1.0) -> Verdict:
    """Take `cost` tokens from `bucket` (refilled at `per_second` up to `capacity`).

    A cost over the capacity is allowed from a full bucket and leaves it below zero."""
    try:
        allowed, wait = _take(
            keys=[f"rl:{bucket}:tokens", f"rl:{bucket}:stamp"], args=[capacity, per_second, cost, time.time()]
        )
    except redis.RedisError as exc:
        logger.warning("rate limiter unavailable (%s); letting %s through", exc, bucket)
        return Verdict(allowed=True)
    return Verdict(allowed=bool(allowed), retry_after_seconds=float(wait))
