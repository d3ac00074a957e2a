"""A real Celery worker says it is alive in Redis from the moment it is ready, and takes its
heartbeat away when it stops cleanly; queue depths are read from the broker's lists."""

import pytest
import redis
from django.conf import settings

from apps.common import workers
from apps.common.testing import Processes, process_env, wait_for, worker_command

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _alive() -> list[str]:
    return [beat.hostname for beat in workers.worker_heartbeats() or [] if beat.alive]


def test_a_worker_beats_while_it_runs_and_is_gone_once_stopped(tmp_path):
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
    processes = Processes(
        {"worker": worker_command(queues="events", concurrency=1)},
        log_dir=tmp_path,
        env=process_env(WORKER_HEARTBEAT_SECONDS="0.5"),
    )
    try:
        wait_for(lambda: " ready." in processes.output(), seconds=30, what="the worker to start", processes=processes)
        wait_for(lambda: _alive(), seconds=10, what="a heartbeat", processes=processes)
        assert _alive()[0].startswith("celery@")
    finally:
        processes.stop()

    assert workers.worker_heartbeats() == []


def test_queue_depths_are_the_lengths_of_the_brokers_lists():
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.delete("events", "carriers")
    client.rpush("events", "m1", "m2")

    assert workers.queue_depths(queues=["events", "carriers"]) == {"events": 2, "carriers": 0}
    client.delete("events")
