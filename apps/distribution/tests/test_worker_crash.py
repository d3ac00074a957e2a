"""A worker killed with SIGKILL in the middle of a booking: the task is redelivered and the
parcel is still booked exactly once at the carrier."""

import os
import signal

import httpx
import pytest
import redis
from django.conf import settings

from apps.common.testing import Processes, process_env, wait_for, worker_command
from apps.distribution.models import DistributionOrder
from apps.distribution.services import distribution_order_create
from apps.distribution.tasks import book_distribution_order
from apps.orders.tests.factories import create_order
from apps.resources.tests.factories import CoverageFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_booking_interrupted_by_sigkill_is_redelivered_and_books_once(live_server, merchant, tmp_path):
    carrier_url = f"{live_server.url}/sandbox/carriers/crash-post/"
    CoverageFactory(service__carrier__code="crash-post", service__carrier__endpoint_url=carrier_url)
    httpx.post(f"{carrier_url}behaviour/", json={"latency_ms": 4000}).raise_for_status()
    order = create_order(merchant_id=merchant.pk)
    distribution_order = distribution_order_create(
        order_id=order.pk, merchant_id=merchant.pk, carrier_code="crash-post", service_code="standard", actor="t"
    )
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
    processes = Processes(
        {"worker": worker_command(queues="carriers", concurrency=1)}, log_dir=tmp_path, env=process_env()
    )
    try:
        book_distribution_order.apply_async(kwargs={"distribution_order_id": distribution_order.pk}, queue="carriers")

        def shipments():
            return httpx.get(f"{carrier_url}shipments/", params={"reference": order.number}).json()["shipments"]

        wait_for(shipments, seconds=30, what="the carrier to create the shipment", processes=processes)
        busy_child = wait_for(
            lambda: processes.children_of("worker"), seconds=5, what="the pool child", processes=processes
        )[0]
        os.kill(busy_child, signal.SIGKILL)  # the carrier has booked; the worker dies before hearing back

        booked = wait_for(
            lambda: DistributionOrder.objects.filter(pk=distribution_order.pk, state="booked").first(),
            seconds=40,
            what="the redelivered task to finish the booking",
            processes=processes,
        )
    finally:
        processes.stop()

    at_carrier = shipments()
    assert len(at_carrier) == 1
    assert booked.tracking_number == at_carrier[0]["tracking_number"]
    assert booked.booking_attempts == 2  # the killed attempt and the redelivered one
    assert at_carrier[0]["idempotency_key"] == str(booked.idempotency_key)
