"""A worker killed with SIGKILL in the middle of a booking: the task is redelivered and the
parcel is still booked exactly once at the carrier."""

import os
import signal

import httpx
import pytest

from apps.common.testing import sandbox_headers, wait_for
from apps.distribution.models import DistributionOrder

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_booking_interrupted_by_sigkill_is_redelivered_and_books_once(
    sandbox_booking, carriers_worker, book_through_lane
):
    carrier_url, order, distribution_order = sandbox_booking("crash-post")
    httpx.post(f"{carrier_url}behaviour/", json={"latency_ms": 4000}, headers=sandbox_headers()).raise_for_status()
    book_through_lane(distribution_order)

    def shipments():
        return httpx.get(
            f"{carrier_url}shipments/", params={"reference": order.number}, headers=sandbox_headers()
        ).json()["shipments"]

    wait_for(shipments, seconds=30, what="the carrier to create the shipment", processes=carriers_worker)
    busy_child = wait_for(
        lambda: carriers_worker.children_of("worker"), seconds=5, what="the pool child", processes=carriers_worker
    )[0]
    os.kill(busy_child, signal.SIGKILL)  # the carrier has booked; the worker dies before hearing back

    booked = wait_for(
        lambda: DistributionOrder.objects.filter(pk=distribution_order.pk, state="booked").first(),
        seconds=40,
        what="the redelivered task to finish the booking",
        processes=carriers_worker,
    )

    at_carrier = shipments()
    assert len(at_carrier) == 1
    assert booked.tracking_number == at_carrier[0]["tracking_number"]
    assert booked.booking_attempts == 2  # the killed attempt and the redelivered one
    assert at_carrier[0]["idempotency_key"] == str(booked.idempotency_key)
