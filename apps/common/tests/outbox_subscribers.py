"""Subscribers for the outbox's delivery tests, imported by the tests and, with `-I`, by the
worker and relay processes they start (so not a test module itself)."""

import redis
from celery import shared_task
from django.conf import settings

from apps.common import outbox

SEEN = "test.parcel.seen"
COUNTED = "test.parcel.counted"
FLAKY = "test.parcel.flaky"
READY = "test.parcel.ready"

# Runs per event of the flaky handler in this process (tests run it eagerly, in process).
flaky_runs: dict[int, int] = {}


@outbox.on(SEEN)
def count_seen(event: outbox.Event) -> None:
    # Written in the handler's transaction: one row per event means the handler took effect once.
    outbox.record(
        event_type=COUNTED,
        aggregate_type="parcel",
        aggregate_id=event.aggregate_id,
        merchant_id=None,
        payload={"seen": event.id},
    )


@outbox.on(FLAKY)
def fail_once_on_redis(event: outbox.Event) -> None:
    flaky_runs[event.id] = flaky_runs.get(event.id, 0) + 1
    if flaky_runs[event.id] == 1:
        raise redis.exceptions.ConnectionError("Error 111 connecting to redis. Connection refused.")


def pickups_key(parcel_id: str) -> str:
    return f"test-outbox:pickups:{parcel_id}"


@shared_task(acks_late=True)
def count_pickup(parcel_id: str) -> None:
    """A routed task that talks to the outside world (here Redis), counting its runs."""
    redis.Redis.from_url(settings.REDIS_URL).incr(pickups_key(parcel_id))


outbox.route(READY, task=count_pickup, kwargs=lambda event: {"parcel_id": event.aggregate_id}, queue="events")
