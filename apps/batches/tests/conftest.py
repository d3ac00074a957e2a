"""Two carriers played by the sandbox over real HTTP (the live server), for orders to be booked."""

import pytest

from apps.common import outbox
from apps.orders.tests.factories import address_draft, order_draft
from apps.resources.tests.factories import CoverageFactory
from apps.scheduling.models import Lane
from apps.scheduling.services import lane_pause
from apps.shipping.services import order_submit


@pytest.fixture
def carriers(live_server):
    """`work-post` (cheapest, the platform's pick) and `fast-post`, both CN to DE."""
    work = CoverageFactory(
        service__carrier__code="work-post",
        service__carrier__endpoint_url=f"{live_server.url}/sandbox/carriers/work-post/",
    ).service
    fast = CoverageFactory(
        service__carrier__code="fast-post",
        service__carrier__endpoint_url=f"{live_server.url}/sandbox/carriers/fast-post/",
        service__code="express",
        service__base_price="30.00",
    ).service
    return work, fast


def submit(merchant, reference: str, name: str = "Anna Schmidt"):
    """An order through intake, as the portal's form sends it."""
    return order_submit(
        merchant_id=merchant.pk,
        draft=order_draft(reference=reference, recipient=address_draft(name=name)),
        actor="user:1",
        channel="portal",
    )


def book_all() -> None:
    """What the workers do: the lanes take the bookings, the sandbox carriers answer over HTTP."""
    outbox.drain()


def waiting_orders(merchant, count: int) -> list:
    """Orders waiting for their label on work-post's lane, held by operations (the first order
    makes the lane and is labelled before the hold)."""
    submit(merchant, "W-0")
    book_all()
    lane_pause(lane_id=Lane.objects.get(key="carrier:work-post").pk, paused=True, actor="ops")
    orders = [submit(merchant, f"W-{n}") for n in range(1, count + 1)]
    book_all()
    return orders
