import json
import threading
import time
from datetime import timedelta

import pytest
import redis
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from apps.common import outbox
from apps.common.models import OutboxDelivery, OutboxEvent, ProcessedEvent
from apps.common.tasks import run_handler
from apps.common.tests import outbox_subscribers as subscribers

pytestmark = pytest.mark.clock

ECHOES = "test.thing.echoed"
SEEN_HANDLER = "apps.common.tests.outbox_subscribers.count_seen"
FLAKY_HANDLER = "apps.common.tests.outbox_subscribers.fail_once_on_redis"
PICKUP_ROUTE = f"apps.common.tests.outbox_subscribers.count_pickup<-{subscribers.READY}"


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


def _record(event_type: str, aggregate_id: str) -> OutboxEvent:
    with transaction.atomic():
        return outbox.record(
            event_type=event_type, aggregate_type="parcel", aggregate_id=aggregate_id, merchant_id=None, payload={}
        )


def _queued(broker: redis.Redis, queue: str = "events") -> list[dict]:
    """The messages waiting in a queue, oldest first: task name, arguments and delivery header."""
    messages = []
    for raw in reversed(broker.lrange(queue, 0, -1)):
        headers = json.loads(raw)["headers"]
        messages.append(
            {"task": headers["task"], "args": headers["argsrepr"], "delivery": headers.get("outbox_delivery")}
        )
    return messages


@pytest.fixture
def broker():
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.delete("events")
    yield broker
    broker.delete("events")


@pytest.mark.django_db(transaction=True)
def test_a_lost_message_is_published_again_after_the_bound_and_only_the_unfinished_ones(broker, settings):
    settings.OUTBOX_REDELIVER_SECONDS = 0.5
    handled, lost = _record(subscribers.SEEN, "1"), _record(subscribers.SEEN, "2")
    outbox.relay_pending()
    broker.delete("events")  # Redis restarted empty: both messages are gone
    outbox.run_subscription(event_id=handled.id, name=SEEN_HANDLER)  # but one had run before

    before_the_bound = outbox.redeliver_due()
    time.sleep(0.6)
    checked = outbox.redeliver_due()

    assert (before_the_bound, checked) == (0, 2)
    assert _queued(broker) == [
        {
            "task": "apps.common.tasks.run_handler",
            "args": f"({lost.id}, '{SEEN_HANDLER}')",
            "delivery": [lost.id, SEEN_HANDLER],
        }
    ]
    left = OutboxDelivery.objects.get()
    assert (left.event_id, left.publish_count) == (lost.id, 2)
    assert left.check_at - left.published_at == timedelta(seconds=1.0)  # twice the bound, next time

    outbox.run_subscription(event_id=lost.id, name=SEEN_HANDLER)
    outbox.run_subscription(event_id=lost.id, name=SEEN_HANDLER)  # the duplicate, had the first come back
    assert OutboxEvent.objects.filter(event_type=subscribers.COUNTED).count() == 2  # once per event
    time.sleep(1.1)
    assert outbox.redeliver_due() == 1
    assert not OutboxDelivery.objects.exists()
    assert len(_queued(broker)) == 1  # nothing published again once done


@pytest.mark.django_db(transaction=True)
def test_a_message_still_waiting_behind_a_backlog_is_not_published_again_until_it_is_gone(broker, settings):
    settings.OUTBOX_REDELIVER_SECONDS = 0.2
    waiting = _record(subscribers.SEEN, "1")
    outbox.relay_pending()
    broker.lpush("events", json.dumps({"headers": {"task": "beat.tick", "argsrepr": "()"}}))  # newer, and not ours
    time.sleep(0.3)

    assert outbox.redeliver_due() == 1
    delivery = OutboxDelivery.objects.get()
    assert delivery.publish_count == 1 and delivery.check_at > timezone.now()
    assert [m["delivery"] for m in _queued(broker) if m["delivery"]] == [[waiting.id, SEEN_HANDLER]]

    broker.delete("events")  # now it is lost (Redis restarted empty)
    time.sleep(0.3)
    outbox.redeliver_due()

    assert [m["delivery"] for m in _queued(broker)] == [[waiting.id, SEEN_HANDLER]]
    assert OutboxDelivery.objects.get().publish_count == 2


@pytest.mark.django_db(transaction=True)
def test_lost_messages_go_out_again_in_event_order(broker, settings):
    settings.OUTBOX_REDELIVER_SECONDS = 0.2
    events = [_record(subscribers.SEEN, str(n)) for n in range(3)]
    outbox.relay_pending()
    broker.delete("events")
    time.sleep(0.3)

    outbox.redeliver_due(limit=2)
    outbox.redeliver_due(limit=2)

    assert [m["delivery"][0] for m in _queued(broker)] == [e.id for e in events]


@pytest.mark.django_db(transaction=True)
def test_a_routed_task_whose_message_was_lost_is_published_again_until_it_returns(broker, settings):
    settings.OUTBOX_REDELIVER_SECONDS = 0.2
    event = _record(subscribers.READY, "P-1")
    outbox.relay_pending()
    broker.delete("events")
    time.sleep(0.3)

    outbox.redeliver_due()

    [message] = _queued(broker)
    assert message["task"] == "apps.common.tests.outbox_subscribers.count_pickup"
    assert message["delivery"] == [event.id, PICKUP_ROUTE]
    # The task returns without raising (as a worker would run it, with the message's header): done.
    subscribers.count_pickup.apply(kwargs={"parcel_id": "P-1"}, headers={"outbox_delivery": message["delivery"]})
    assert ProcessedEvent.objects.filter(event=event, handler=PICKUP_ROUTE).exists()
    time.sleep(0.5)
    outbox.redeliver_due()
    assert not OutboxDelivery.objects.exists()
    assert len(_queued(broker)) == 1


@pytest.mark.django_db(transaction=True)
def test_a_handler_that_meets_a_redis_error_is_retried_and_not_published_again_while_it_waits(broker, settings):
    settings.OUTBOX_REDELIVER_SECONDS = 0.2
    event = _record(subscribers.FLAKY, "F-1")
    outbox.relay_pending()
    broker.delete("events")
    published = OutboxDelivery.objects.get().published_at

    # Eagerly, Celery runs the retry at once instead of after its countdown.
    run_handler.apply(args=(event.id, FLAKY_HANDLER), headers={"outbox_delivery": [event.id, FLAKY_HANDLER]})

    assert subscribers.flaky_runs[event.id] == 2
    assert ProcessedEvent.objects.filter(event=event, handler=FLAKY_HANDLER).exists()
    delivery = OutboxDelivery.objects.get()
    assert delivery.published_at > published  # the retry moved it: not lost
    assert delivery.check_at >= delivery.published_at + timedelta(seconds=0.2)


@pytest.mark.django_db(transaction=True)
def test_pruning_keeps_an_old_event_until_its_subscribers_are_done(broker, settings):
    settings.OUTBOX_REDELIVER_SECONDS = 0.1
    event = _record(subscribers.SEEN, "1")
    outbox.relay_pending()
    OutboxEvent.objects.filter(pk=event.pk).update(relayed_at=timezone.now() - timedelta(days=8))

    kept = outbox.prune_relayed(older_than=timedelta(days=7))
    outbox.run_subscription(event_id=event.id, name=SEEN_HANDLER)
    time.sleep(0.2)
    outbox.redeliver_due()
    pruned = outbox.prune_relayed(older_than=timedelta(days=7))

    assert (kept, pruned) == (0, 1)
    assert not OutboxEvent.objects.filter(pk=event.pk).exists()
