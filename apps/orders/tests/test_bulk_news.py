"""A bulk upload's news runs from the bulk twin of its queue, so another merchant's single order
is not queued behind thousands of the upload's messages (docs/outbox.md)."""

import json

import pytest
import redis
from django.conf import settings

from apps.common import outbox
from apps.common.models import OutboxEvent
from apps.common.testing import worker_command
from apps.orders.events import ORDER_ACCEPTED
from apps.orders.tests.factories import create_order

QUEUES = ("events", "events_bulk")


@pytest.fixture
def broker():
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.delete(*QUEUES)
    yield broker
    broker.delete(*QUEUES)


def _events_queued(broker: redis.Redis, queue: str) -> set[int]:
    return {json.loads(raw)["headers"]["outbox_delivery"][0] for raw in broker.lrange(queue, 0, -1)}


@pytest.mark.django_db(transaction=True)
def test_news_of_bulk_orders_waits_in_its_own_queue_and_a_single_orders_news_does_not(broker, merchant):
    uploaded = [
        create_order(merchant_id=merchant.pk, channel=channel, reference=channel) for channel in ("api_bulk", "import")
    ]
    single = create_order(merchant_id=merchant.pk, channel="api", reference="single")

    outbox.relay_pending()

    accepted = dict(OutboxEvent.objects.filter(event_type=ORDER_ACCEPTED).values_list("aggregate_id", "id"))
    subscribers = len(outbox.subscriptions_for(ORDER_ACCEPTED))
    assert subscribers > 0
    assert _events_queued(broker, "events_bulk") == {accepted[str(order.id)] for order in uploaded}
    assert _events_queued(broker, "events") == {accepted[str(single.id)]}
    assert broker.llen("events_bulk") == 2 * subscribers and broker.llen("events") == subscribers


def test_the_workers_people_start_consume_the_bulk_queue_too():
    procfile = (settings.BASE_DIR / "Procfile").read_text()
    worker_line = next(line for line in procfile.splitlines() if line.startswith("worker:"))
    for bulk_queue in settings.OUTBOX_BULK_QUEUES.values():
        assert bulk_queue in worker_line.split("-Q ", 1)[1].split()[0].split(",")
        assert bulk_queue in worker_command()[worker_command().index("-Q") + 1].split(",")
        assert bulk_queue in settings.OPERATIONS_QUEUES
