"""A booking task that cannot reach the database is retried, not dropped: once the database takes
connections again, the parcel is booked, once."""

import httpx
import psycopg
import pytest
from django.db import connection

from apps.common.testing import sandbox_headers, wait_for
from apps.distribution.models import DistributionOrder

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


def test_a_booking_that_cannot_reach_the_database_is_retried_until_it_can(
    sandbox_booking, carriers_worker, book_through_lane
):
    carrier_url, order, distribution_order = sandbox_booking("outage-post")
    _allow_connections(False)
    try:
        book_through_lane(distribution_order)
        wait_for(
            lambda: "not currently accepting connections" in carriers_worker.output(),
            seconds=20,
            what="the task to be refused by the database",
            processes=carriers_worker,
        )
    finally:
        _allow_connections(True)
    booked = wait_for(
        lambda: DistributionOrder.objects.filter(pk=distribution_order.pk, state="booked").first(),
        seconds=40,
        what="the retried task to book the parcel",
        processes=carriers_worker,
    )

    shipments = httpx.get(
        f"{carrier_url}shipments/", params={"reference": order.number}, headers=sandbox_headers()
    ).json()["shipments"]
    assert len(shipments) == 1
    assert booked.tracking_number == shipments[0]["tracking_number"]
    assert booked.booking_attempts == 1  # the refused runs never reached the carrier
