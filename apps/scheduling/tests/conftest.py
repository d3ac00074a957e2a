"""What the scheduling center's tests share: orders on a carrier's lane, and a gate cut off from Redis."""

import pytest
import redis
from django.db import transaction

from apps.distribution.tests.conftest import carriers_worker, sandbox_booking  # noqa: F401 (fixtures)
from apps.orders.services import order_create
from apps.orders.tests.factories import fixed_route, order_draft
from apps.resources.tests.factories import CoverageFactory
from apps.scheduling import gate
from apps.scheduling.models import Lane


class FixedGateway:
    """A carrier that books everything at once."""

    def __init__(self):
        self.calls = 0

    def book(self, request):
        from apps.distribution.gateways import Booking

        self.calls += 1
        return Booking(tracking_number=f"TN{self.calls}", label_pdf=b"%PDF-1.4")


@pytest.fixture
def carrier(db):
    return CoverageFactory(
        service__carrier__code="lane-post",
        service__carrier__requests_per_second=20,
        service__carrier__max_concurrent_calls=10,
    ).service.carrier


@pytest.fixture
def paused_lane(carrier):
    return Lane.objects.create(
        key="carrier:lane-post", downstream_kind="carrier", downstream_code="lane-post", paused=True
    )


@pytest.fixture
def merchants(db):
    from apps.merchants.tests.factories import MerchantFactory

    return [MerchantFactory() for _ in range(3)]


@pytest.fixture
def make_order(carrier, merchants):
    """`make(n, channel=..., service_level=...)`: an accepted order of the n-th merchant (1 to 3),
    routed to lane-post."""
    counter = iter(range(1_000_000))

    def make(n: int, *, channel: str = "api", service_level: str = "standard"):
        with transaction.atomic():
            return order_create(
                merchant_id=merchants[n - 1].pk,
                draft=order_draft(reference=f"L-{next(counter)}", service_level=service_level),
                route=fixed_route(carrier_code="lane-post"),
                actor="test",
                channel=channel,
            )

    return make


@pytest.fixture
def redis_down(monkeypatch):
    """The gate's Redis does not answer (a closed port); `restore()` brings it back."""
    unreachable = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2, socket_timeout=0.2)
    real = gate._redis()
    monkeypatch.setattr(gate, "_client", unreachable)

    def restore():
        monkeypatch.setattr(gate, "_client", real)

    return restore


@pytest.fixture
def book_through_lane():
    """`book(distribution_order)`: ask for the booking as operations' Retry does (booking work on
    the carrier's lane, released at once); its nudge goes to the carriers queue after commit."""
    from apps.common import outbox
    from apps.scheduling.services import lane_book_retry

    def book(distribution_order):
        entry = lane_book_retry(distribution_order_id=distribution_order.pk, actor="test")
        outbox.relay_pending()  # what the relay process does: the nudge goes to the worker
        return entry

    return book
