import threading

import pytest
import redis
from django.conf import settings
from django.db import connection, transaction

from apps.common import outbox
from apps.common.models import OutboxEvent, ProcessedEvent

pytestmark = pytest.mark.clock

ECHOES = "test.thing.echoed"


@outbox.on("test.thing.happened")
def echo_thing(event: outbox.Event) -> None:
    outbox.record(
        event_type=ECHOES,
        aggregate_type="thing",
        aggregate_id=event.aggregate_id,
        merchant_id=None,
        payload={"echo_of": event.id},
    )


def _record_thing(aggregate_id: str = "1") -> OutboxEvent:
    with transaction.atomic():
        return outbox.record(
            event_type="test.thing.happened",
            aggregate_type="thing",
            aggregate_id=aggregate_id,
            merchant_id=None,
            payload={"n": 1},
        )


@pytest.mark.django_db(transaction=True)
def test_record_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError, match="inside the transaction"):
        outbox.record(
            event_type="test.thing.happened", aggregate_type="thing", aggregate_id="1", merchant_id=None, payload={}
        )
    assert not OutboxEvent.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_an_event_exists_only_if_its_transaction_commits():
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        outbox.record(
            event_type="test.thing.happened", aggregate_type="thing", aggregate_id="1", merchant_id=None, payload={}
        )
        1 / 0  # noqa: B018

    assert not OutboxEvent.objects.exists()


def test_a_handler_runs_once_even_when_the_event_is_delivered_twice(db):
    event = _record_thing()

    first = outbox.run_subscription(event_id=event.id, name="apps.common.tests.test_outbox.echo_thing")
    second = outbox.run_subscription(event_id=event.id, name="apps.common.tests.test_outbox.echo_thing")

    assert (first, second) == (True, False)
    assert OutboxEvent.objects.filter(event_type=ECHOES).count() == 1
    assert ProcessedEvent.objects.filter(event=event).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicate_deliveries_run_the_handler_once():
    event = _record_thing()
    barrier = threading.Barrier(4)
    results = []

    def deliver():
        barrier.wait()
        try:
            results.append(outbox.run_subscription(event_id=event.id, name="apps.common.tests.test_outbox.echo_thing"))
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(results) == [False, False, False, True]
    assert OutboxEvent.objects.filter(event_type=ECHOES).count() == 1


def test_drain_runs_the_cascade_in_event_order(db):
    _record_thing("7")

    handled = outbox.drain()

    assert handled == 2  # the event and its echo, which nobody handles
    echo = OutboxEvent.objects.get(event_type=ECHOES)
    assert echo.aggregate_id == "7"
    assert not OutboxEvent.objects.filter(relayed_at__isnull=True).exists()


@pytest.mark.django_db(transaction=True)
def test_relay_hands_committed_events_to_the_broker_once():
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.delete("events")
    _record_thing()
    _record_thing()

    relayed = outbox.relay_pending()
    again = outbox.relay_pending()

    assert (relayed, again) == (2, 0)
    assert broker.llen("events") == 2  # one handler message per event
    assert OutboxEvent.objects.filter(relayed_at__isnull=True).count() == 0
    broker.delete("events")


@pytest.mark.django_db(transaction=True)
def test_recording_an_event_sends_no_notify_so_intake_commits_are_not_serialised():
    import psycopg

    settings_dict = connection.settings_dict
    with psycopg.connect(
        host=settings_dict["HOST"],
        port=settings_dict["PORT"],
        user=settings_dict["USER"],
        dbname=settings_dict["NAME"],
        autocommit=True,
    ) as listener:
        listener.execute(f"LISTEN {outbox.NOTIFY_CHANNEL}")
        _record_thing("3")
        heard = list(listener.notifies(timeout=0.5))
    assert heard == []
    assert OutboxEvent.objects.filter(aggregate_id="3", relayed_at__isnull=True).exists()


def test_pruning_deletes_only_events_relayed_before_the_retention_with_their_marks(db):
    from datetime import timedelta

    from django.utils import timezone

    old_relayed, recent_relayed, old_pending = (_record_thing(str(n)) for n in range(3))
    long_ago = timezone.now() - timedelta(days=8)
    OutboxEvent.objects.filter(pk=old_relayed.pk).update(relayed_at=long_ago, created_at=long_ago)
    OutboxEvent.objects.filter(pk=recent_relayed.pk).update(relayed_at=timezone.now())
    OutboxEvent.objects.filter(pk=old_pending.pk).update(created_at=long_ago)
    ProcessedEvent.objects.create(event_id=old_relayed.pk, handler="someone")
    ProcessedEvent.objects.create(event_id=recent_relayed.pk, handler="someone")

    pruned = outbox.prune_relayed(older_than=timedelta(days=7), batch_size=1)

    assert pruned == 1
    left = set(
        OutboxEvent.objects.filter(pk__in=[old_relayed.pk, recent_relayed.pk, old_pending.pk]).values_list(
            "pk", flat=True
        )
    )
    assert left == {recent_relayed.pk, old_pending.pk}
    assert list(ProcessedEvent.objects.values_list("event_id", flat=True)) == [recent_relayed.pk]
