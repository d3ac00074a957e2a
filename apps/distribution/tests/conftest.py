"""What the distribution center's process-crossing tests share: an order to book at a sandbox
carrier served by the live server, and a real Celery worker to book it (as lane work: every
carrier call goes through the carrier's lane, `apps.scheduling`)."""

import pytest
import redis
from django.conf import settings

from apps.common.testing import Processes, process_env, wait_for, worker_command
from apps.distribution.services import distribution_order_create
from apps.orders.tests.factories import create_order
from apps.resources.tests.factories import CoverageFactory


@pytest.fixture
def sandbox_booking(live_server, merchant):
    """`make(carrier_code)`: the carrier's sandbox URL, and an order with its distribution order
    waiting to be booked there."""

    def make(carrier_code: str):
        carrier_url = f"{live_server.url}/sandbox/carriers/{carrier_code}/"
        CoverageFactory(service__carrier__code=carrier_code, service__carrier__endpoint_url=carrier_url)
        order = create_order(merchant_id=merchant.pk)
        distribution_order = distribution_order_create(
            order_id=order.pk, merchant_id=merchant.pk, carrier_code=carrier_code, service_code="standard", actor="t"
        )
        return carrier_url, order, distribution_order

    return make


@pytest.fixture
def carriers_worker(tmp_path):
    """A Celery worker on the carriers queue, one task at a time, started on an empty broker."""
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
    processes = Processes(
        {"worker": worker_command(queues="carriers", concurrency=1)}, log_dir=tmp_path, env=process_env()
    )
    try:
        wait_for(lambda: " ready." in processes.output(), seconds=30, what="the worker to start", processes=processes)
        yield processes
    finally:
        processes.stop()
