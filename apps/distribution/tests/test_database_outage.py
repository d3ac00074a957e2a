"""A booking task that cannot reach the database is retried, not dropped: once the database takes
connections again, the parcel is booked, once."""

import httpx
import psycopg
import pytest
import redis
from django.conf import settings
from django.db import connection

from apps.common.testing import Processes, process_env, wait_for, worker_command
from apps.distribution.models import DistributionOrder
from apps.distribution.services import distribution_order_create
from apps.distribution.tasks import book_distribution_order
from apps.orders.tests.factories import create_order
from apps.resources.tests.factories import CoverageFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _allow_connections(allowed: bool) -> None:
    """Let the test database take new connections or refuse them all, superusers' too (which a
    connection limit would not); connections already open stay. Said from the maintenance
    database: PostgreSQL will not let a database's own session lock it."""
    db = connection.settings_dict
    name = connection.ops.quote_name(db["NAME"])
    with psycopg.connect(
        host=db["HOST"], port=db["PORT"], user=db["USER"], dbname="postgres", autocommit=True
    ) as admin:
        admin.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS {'true' if allowed else 'false'}")


def test_a_booking_that_cannot_reach_the_database_is_retried_until_it_can(live_server, merchant, tmp_path):
    carrier_url = f"{live_server.url}/sandbox/carriers/outage-post/"
    CoverageFactory(service__carrier__code="outage-post", service__carrier__endpoint_url=carrier_url)
    order = create_order(merchant_id=merchant.pk)
    distribution_order = distribution_order_create(
        order_id=order.pk, merchant_id=merchant.pk, carrier_code="outage-post", service_code="standard", actor="t"
    )
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
    processes = Processes(
        {"worker": worker_command(queues="carriers", concurrency=1)}, log_dir=tmp_path, env=process_env()
    )
    try:
        wait_for(lambda: " ready." in processes.output(), seconds=30, what="the worker to start", processes=processes)
        _allow_connections(False)
        try:
            book_distribution_order.apply_async(
                kwargs={"distribution_order_id": distribution_order.pk}, queue="carriers"
            )
            wait_for(
                lambda: "not currently accepting connections" in processes.output(),
                seconds=20,
                what="the task to be refused by the database",
                processes=processes,
            )
        finally:
            _allow_connections(True)
        booked = wait_for(
            lambda: DistributionOrder.objects.filter(pk=distribution_order.pk, state="booked").first(),
            seconds=40,
            what="the retried task to book the parcel",
            processes=processes,
        )
    finally:
        processes.stop()

    shipments = httpx.get(f"{carrier_url}shipments/", params={"reference": order.number}).json()["shipments"]
    assert len(shipments) == 1
    assert booked.tracking_number == shipments[0]["tracking_number"]
    assert booked.booking_attempts == 1  # the refused runs never reached the carrier
