"""The global gate of every lane: limits that hold across every worker process together.

Three pieces of state per lane, in Redis, each changed by one Lua script on Redis's own clock
(`redis.call('TIME')`, so workers with skewed clocks still share one bucket):

- a token bucket (`rate` per second, up to `burst`): one token per call, taken right before it;
- an in-flight set (a ZSET of work ids scored by lease expiry): one slot per released work;
  expired leases are dropped on every acquire, so the slot of work that stopped moving (a killed
  worker, a lost message) comes back by itself;
- an adaptive concurrency limit (at most the lane's configured maximum): cut to 70 % when a call
  times out or takes far longer than the moving average, raised by one after a window of good calls.

Redis unreachable means "hold" (fail closed): `GateUnavailable` is raised and nothing is let
through until Redis answers again. Intake never calls the gate.
"""

from dataclasses import dataclass

import redis
from django.conf import settings

# KEYS: tokens hash. ARGV: rate, burst. Returns {granted 0/1, wait seconds as a string}.
_BUCKET_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local tokens = tonumber(redis.call('HGET', KEYS[1], 'tokens') or burst)
local stamp = tonumber(redis.call('HGET', KEYS[1], 'stamp') or now)
tokens = math.min(burst, tokens + math.max(0, now - stamp) * rate)
local granted = 0
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
  granted = 1
else
  wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'stamp', now)
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 60)
return {granted, tostring(wait)}
"""

# KEYS: in-flight zset, adaptive hash. ARGV: work id, configured max, lease seconds.
# Returns {granted 0/1, in flight, limit}. A work already holding a slot renews its lease.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local work, max, lease = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local limit = tonumber(redis.call('HGET', KEYS[2], 'limit') or max)
if limit > max then limit = max end
if limit < 1 then limit = 1 end
local held = redis.call('ZSCORE', KEYS[1], work)
local count = redis.call('ZCARD', KEYS[1])
if held or count < limit then
  redis.call('ZADD', KEYS[1], now + lease, work)
  redis.call('EXPIRE', KEYS[1], math.ceil(lease) + 60)
  if held then return {1, count, limit} end
  return {1, count + 1, limit}
end
return {0, count, limit}
"""

# KEYS: in-flight zset, adaptive hash. ARGV: work id, configured max, latency ms (-1: timed out), window.
_FINISH = """
redis.call('ZREM', KEYS[1], ARGV[1])
local max, latency, window = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
if latency == -2 then return 0 end
local limit = tonumber(redis.call('HGET', KEYS[2], 'limit') or max)
if limit > max then limit = max end
local avg = tonumber(redis.call('HGET', KEYS[2], 'avg_ms') or '-1')
local good = tonumber(redis.call('HGET', KEYS[2], 'good') or '0')
if latency < 0 or (avg > 0 and latency > 3 * avg and latency > 200) then
  limit = math.max(1, math.floor(limit * 0.7))
  good = 0
else
  good = good + 1
  if good >= window then
    limit = math.min(max, limit + 1)
    good = 0
  end
end
if latency >= 0 then
  if avg < 0 then avg = latency else avg = avg * 0.8 + latency * 0.2 end
end
redis.call('HSET', KEYS[2], 'limit', limit, 'avg_ms', avg, 'good', good)
redis.call('EXPIRE', KEYS[2], 86400)
return limit
"""

_client: redis.Redis | None = None
_scripts: dict[str, object] = {}


class GateUnavailable(Exception):
    """Redis did not answer: the gate cannot count, so it lets nothing through."""


@dataclass(frozen=True)
class Slot:
    granted: bool
    in_flight: int
    limit: int


@dataclass(frozen=True)
class Token:
    granted: bool
    wait_seconds: float


@dataclass(frozen=True)
class GateState:
    in_flight: int
    limit: int
    tokens: float | None
    avg_latency_ms: float | None


def _redis() -> redis.Redis:
    global _client
    if _client is None:
        _client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=0.5, socket_timeout=0.5)
    return _client


def _run(name: str, source: str, *, keys: list[str], args: list) -> list:
    client = _redis()
    script = _scripts.get(name)
    if script is None or script.registered_client is not client:
        script = _scripts[name] = client.register_script(source)
    try:
        return script(keys=keys, args=args)
    except redis.RedisError as exc:
        raise GateUnavailable(str(exc)) from exc


def _keys(lane_key: str) -> tuple[str, str, str]:
    prefix = f"{settings.LANE_GATE_NAMESPACE}:{lane_key}"
    return f"{prefix}:tokens", f"{prefix}:in-flight", f"{prefix}:adaptive"


def take_token(*, lane_key: str, rate: float, burst: float) -> Token:
    """One call's worth of the lane's rate, or how long until there is one."""
    granted, wait = _run("take", _BUCKET_SCRIPT, keys=[_keys(lane_key)[0]], args=[rate, max(burst, 1)])
    return Token(granted=bool(granted), wait_seconds=float(wait))


def acquire_slot(*, lane_key: str, work_id: int, max_in_flight: int, lease_seconds: float) -> Slot:
    """An in-flight slot for the work until the lease runs out (renewed if it holds one)."""
    _, in_flight, adaptive = _keys(lane_key)
    granted, count, limit = _run(
        "acquire", _ACQUIRE, keys=[in_flight, adaptive], args=[work_id, max(max_in_flight, 1), lease_seconds]
    )
    return Slot(granted=bool(granted), in_flight=int(count), limit=int(limit))


def release_slot(
    *, lane_key: str, work_id: int, max_in_flight: int, latency_ms: float | None = None, timed_out: bool = False
) -> None:
    """Give the work's slot back; with a latency (or a time-out) the adaptive limit learns from it."""
    _, in_flight, adaptive = _keys(lane_key)
    observed = -1 if timed_out else (-2 if latency_ms is None else latency_ms)
    _run(
        "finish",
        _FINISH,
        keys=[in_flight, adaptive],
        args=[work_id, max(max_in_flight, 1), observed, settings.LANE_ADAPTIVE_WINDOW],
    )


def gate_state(*, lane_key: str, max_in_flight: int) -> GateState:
    """What the gate holds for a lane now (for the admin and "why is this waiting")."""
    tokens_key, in_flight, adaptive = _keys(lane_key)
    try:
        client = _redis()
        pipe = client.pipeline()
        pipe.time()
        pipe.zrangebyscore(in_flight, "-inf", "+inf", withscores=True)
        pipe.hgetall(adaptive)
        pipe.hgetall(tokens_key)
        (seconds, micros), members, raw_adaptive, raw_tokens = pipe.execute()
    except redis.RedisError as exc:
        raise GateUnavailable(str(exc)) from exc
    now = seconds + micros / 1_000_000
    live = sum(1 for _, score in members if score > now)
    limit = min(int(float(raw_adaptive.get(b"limit", max_in_flight))), max_in_flight)
    avg = float(raw_adaptive[b"avg_ms"]) if b"avg_ms" in raw_adaptive else None
    tokens = float(raw_tokens[b"tokens"]) if b"tokens" in raw_tokens else None
    return GateState(
        in_flight=live, limit=max(limit, 1), tokens=tokens, avg_latency_ms=avg if avg and avg >= 0 else None
    )


def gate_reset(*, lane_key: str) -> None:
    """Forget a lane's bucket, slots and learnt limit (tests, and operations draining a lane)."""
    try:
        _redis().delete(*_keys(lane_key))
    except redis.RedisError as exc:
        raise GateUnavailable(str(exc)) from exc
