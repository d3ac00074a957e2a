"""A batch's moves across process boundaries: the relay hands `batches.batch.bought` to a real
Celery worker on the imports queue; the worker is killed (SIGKILL) between two chunks' commits,
its task is redelivered, and every order is moved exactly once."""

import os
import re
import signal
import sys
import uuid

import pytest
import redis
from django.conf import settings

from apps.batches.models import BatchOrder
from apps.batches.services import REROUTE_CHUNK, label_batch_create
from apps.batches.tests.conftest import waiting_orders
from apps.common.testing import Processes, process_env, wait_for, worker_command
from apps.orders.models import Order
from apps.orders.selectors import order_history

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ORDERS = 4 * REROUTE_CHUNK


@pytest.fixture
def relay_and_worker(tmp_path):
    """`start()`: the outbox relay and one worker on the imports queue (one task at a time), on an
    empty broker. Started once the test's orders wait on their lane: the relay takes every event,
    and their lane's own news is for the drain of the setup."""
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    started = []

    def start() -> Processes:
        broker.flushdb()
        processes = Processes(
            {
                "worker": worker_command(queues="imports", concurrency=1),
                "relay": [sys.executable, "manage.py", "outbox_relay"],
            },
            log_dir=tmp_path,
            env=process_env(),
        )
        started.append(processes)
        wait_for(lambda: " ready." in processes.output(), seconds=30, what="the worker to start", processes=processes)
        return processes

    yield start
    for processes in started:
        processes.stop()
    broker.flushdb()


def _moved() -> int:
    return BatchOrder.objects.filter(reroute=BatchOrder.Reroute.DONE).count()


def test_a_worker_killed_midway_leaves_each_order_moved_once(merchant, merchant_user, carriers, relay_and_worker):
    orders = waiting_orders(merchant, ORDERS)  # held on work-post's lane
    processes = relay_and_worker()
    batch, _ = label_batch_create(
        merchant_id=merchant.pk,
        user=merchant_user,
        order_ids=[o.id for o in orders],
        chosen_route=("fast-post", "express"),
        idempotency_key=uuid.uuid4(),
    )

    wait_for(lambda: _moved(), seconds=60, what="the first chunk of moves", processes=processes)
    child = processes.children_of("worker")[0]
    os.kill(child, signal.SIGKILL)  # in the middle of the next chunk: its moves are rolled back
    moved_before_kill = _moved()  # committed chunks only; the redelivered run takes a second to start
    assert REROUTE_CHUNK <= moved_before_kill < ORDERS, "the batch was done before the worker could be killed"
    assert moved_before_kill % REROUTE_CHUNK == 0

    wait_for(
        lambda: not batch.orders.filter(reroute=BatchOrder.Reroute.PENDING).exists(),
        seconds=120,
        what="the redelivered task to move the rest",
        processes=processes,
    )
    assert _moved() == ORDERS
    assert {Order.objects.get(pk=o.pk).carrier_code for o in orders} == {"fast-post"}
    moves = [sum(1 for step in order_history(order_id=o.id) if step.transition == "reroute") for o in orders]
    assert moves == [1] * ORDERS
    log = processes.output()
    # The killed run was redelivered, and the run again moved only what the killed one had not committed.
    assert "WorkerLostError" in log
    assert re.search(rf"move_batch_orders\[[^]]+\] succeeded in [0-9.]+s: {ORDERS - moved_before_kill}\b", log), log
