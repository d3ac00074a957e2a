"""What the Celery workers are doing, read cheaply from Redis for the operations dashboard.

- Queue depth: Celery's Redis transport keeps each queue as a list named after it, so its
  depth is one `LLEN` (all queues in one pipeline).
- Heartbeats: each worker's main process writes `hostname → time` into one Redis hash every
  `WORKER_HEARTBEAT_SECONDS` from a daemon thread started on `worker_ready` (logistics/celery.py),
  and removes itself on shutdown. Reading them is one `HGETALL`; nothing waits on a worker (as
  `celery inspect ping` would), and a worker that stops writing shows as silent.
"""

import json
import logging
import threading
import time
from dataclasses import dataclass

import redis
from django.conf import settings

logger = logging.getLogger(__name__)

HEARTBEATS_KEY = "workers:heartbeats"
_client: redis.Redis | None = None


def _redis() -> redis.Redis:
    global _client
    if _client is None:
        _client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=0.5, socket_timeout=0.5)
    return _client


@dataclass(frozen=True)
class WorkerHeartbeat:
    hostname: str
    seconds_ago: float

    @property
    def alive(self) -> bool:
        return self.seconds_ago <= 3 * settings.WORKER_HEARTBEAT_SECONDS


def queue_depths(*, queues: list[str]) -> dict[str, int] | None:
    """Messages waiting per Celery queue, or None when Redis does not answer."""
    try:
        pipe = _redis().pipeline(transaction=False)
        for queue in queues:
            pipe.llen(queue)
        return dict(zip(queues, pipe.execute(), strict=True))
    except redis.RedisError as exc:
        logger.warning("queue depths unreadable: %s", exc)
        return None


def queue_tails(*, queues: list[str], count: int) -> dict[str, list[dict]]:
    """The headers of the `count` oldest messages waiting per queue, oldest first ({} when Redis
    does not answer). The transport pushes on a list's left and workers pop from its right."""
    try:
        pipe = _redis().pipeline(transaction=False)
        for queue in queues:
            pipe.lrange(queue, -count, -1)
        tails = pipe.execute()
    except redis.RedisError as exc:
        logger.warning("queues unreadable: %s", exc)
        return {}
    return {
        queue: [_headers(raw) for raw in reversed(raw_messages)]
        for queue, raw_messages in zip(queues, tails, strict=True)
    }


def _headers(raw: bytes) -> dict:
    try:
        headers = json.loads(raw).get("headers")
    except (ValueError, AttributeError):
        return {}
    return headers if isinstance(headers, dict) else {}


# A worker silent for longer than this is taken as gone for good (killed, its host replaced) and
# no longer shown; one that stopped cleanly removed itself.
FORGOTTEN_AFTER_SECONDS = 3600


def worker_heartbeats() -> list[WorkerHeartbeat] | None:
    """Every worker that wrote a heartbeat in the last hour (alive or silent), or None when Redis
    does not answer."""
    try:
        raw = _redis().hgetall(HEARTBEATS_KEY)
    except redis.RedisError as exc:
        logger.warning("worker heartbeats unreadable: %s", exc)
        return None
    now = time.time()
    beats = [WorkerHeartbeat(hostname=k.decode(), seconds_ago=max(0.0, now - float(v))) for k, v in raw.items()]
    beats = [beat for beat in beats if beat.seconds_ago <= FORGOTTEN_AFTER_SECONDS]
    return sorted(beats, key=lambda beat: beat.hostname)


def heartbeat_write(*, hostname: str) -> None:
    try:
        _redis().hset(HEARTBEATS_KEY, hostname, time.time())
    except redis.RedisError as exc:  # the next beat tries again
        logger.warning("heartbeat of %s not written: %s", hostname, exc)


def heartbeat_forget(*, hostname: str) -> None:
    try:
        _redis().hdel(HEARTBEATS_KEY, hostname)
    except redis.RedisError as exc:
        logger.warning("heartbeat of %s not removed: %s", hostname, exc)


def heartbeat_start(*, hostname: str) -> threading.Event:
    """Beat for this worker from a daemon thread until the returned event is set."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.is_set():
            heartbeat_write(hostname=hostname)
            stop.wait(settings.WORKER_HEARTBEAT_SECONDS)
        heartbeat_forget(hostname=hostname)

    threading.Thread(target=beat, name="heartbeat", daemon=True).start()
    return stop
