"""The outbox across a Redis restart, with a real relay and worker: messages Redis lost are
published again and handled once; the relay rides out the outage."""

import socket
import sys

import pytest
import redis
from django.db import transaction

from apps.common import outbox
from apps.common.models import OutboxDelivery, OutboxEvent, ProcessedEvent
from apps.common.testing import Processes, process_env, wait_for, worker_command
from apps.common.tests import outbox_subscribers as subscribers

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SUBSCRIBERS = "apps.common.tests.outbox_subscribers"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _redis_server(port: int) -> list[str]:
    # No snapshot, no append-only file: a restart comes back empty, as in the incident.
    return ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]


def _relay() -> list[str]:
    # The relay must know the tests' subscribers, which no app imports.
    return [
        sys.executable,
        "-c",
        f"import django; django.setup(); import {SUBSCRIBERS};"
        " from django.core.management import call_command; call_command('outbox_relay')",
    ]


def _answers(url: str) -> bool:
    try:
        return redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.ConnectionError:
        return False


def _record(event_type: str, aggregate_id: str) -> OutboxEvent:
    with transaction.atomic():
        return outbox.record(
            event_type=event_type, aggregate_type="parcel", aggregate_id=aggregate_id, merchant_id=None, payload={}
        )


def test_messages_lost_in_a_redis_restart_are_published_again_and_handled_once(tmp_path):
    port = _free_port()
    url = f"redis://127.0.0.1:{port}/0"
    env = process_env(REDIS_URL=url, OUTBOX_REDELIVER_SECONDS="1")
    redis_before = Processes({"redis-before": _redis_server(port)}, log_dir=tmp_path, env=env)
    relay = Processes({"relay": _relay()}, log_dir=tmp_path, env=env)
    later: list[Processes] = []
    try:
        wait_for(lambda: _answers(url), seconds=10, what="redis", processes=redis_before)
        seen = [_record(subscribers.SEEN, str(n)) for n in range(5)]
        ready = _record(subscribers.READY, "P-1")
        wait_for(
            lambda: not OutboxEvent.objects.filter(relayed_at__isnull=True).exists(),
            seconds=20,
            what="the relay to publish the events",
            processes=relay,
        )
        assert redis.Redis.from_url(url).llen("events") == 6  # queued, with no worker yet

        redis_before.stop()  # Redis goes away, and with it every queued message
        during = _record(subscribers.SEEN, "during")
        wait_for(lambda: "does not answer" in relay.output(), seconds=20, what="the relay to notice", processes=relay)
        assert OutboxEvent.objects.get(pk=during.pk).relayed_at is None
        later.append(Processes({"redis-after": _redis_server(port)}, log_dir=tmp_path, env=env))
        wait_for(lambda: _answers(url), seconds=10, what="redis to restart", processes=later[0])
        worker = Processes({"worker": [*worker_command(queues="events"), "-I", SUBSCRIBERS]}, log_dir=tmp_path, env=env)
        later.append(worker)

        wait_for(
            lambda: not OutboxDelivery.objects.exists(),
            seconds=60,
            what="every delivery to be done",
            processes=worker,
        )

        for event in [*seen, during]:
            assert ProcessedEvent.objects.filter(event=event).count() == 1
            assert OutboxEvent.objects.filter(event_type=subscribers.COUNTED, payload__seen=event.id).count() == 1
        assert ProcessedEvent.objects.filter(event=ready).count() == 1  # the routed task returned
        assert int(redis.Redis.from_url(url).get(subscribers.pickups_key("P-1"))) >= 1
        assert relay.output().count("does not answer") == 1  # once per outage
        assert relay.procs["relay"].poll() is None
    finally:
        for processes in (relay, *later, redis_before):
            processes.stop()
