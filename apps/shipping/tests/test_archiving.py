"""Archiving: closed orders leave the hot tables with everything hanging off them, and stay
findable read-only by the merchant and by buyers through the same queries."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.common import outbox
from apps.common.models import ArchivedRecord
from apps.distribution.models import DistributionOrder, TrackingEvent
from apps.distribution.tests.test_webhooks import SECRET, _body, _post
from apps.orders.archiving import orders_archive
from apps.orders.models import ArchivedOrder, Order, OrderTransition, Parcel
from apps.orders.services import order_advance
from apps.orders.tests.factories import create_order, fixed_route
from apps.resources.tests.factories import CoverageFactory

pytestmark = pytest.mark.clock


@pytest.fixture
def delivered_long_ago(client, merchant):
    """An order delivered 100 days ago, with its carrier's tracking events, through the real services."""
    from apps.distribution.services import (
        carrier_webhook_secret_set,
        distribution_order_book,
        distribution_order_create,
    )
    from apps.distribution.tests.test_distribution_services import FixedGateway

    CoverageFactory(service__carrier__code="hook-post")
    carrier_webhook_secret_set(carrier_code="hook-post", secret=SECRET)
    route = fixed_route(carrier_code="hook-post")
    order = create_order(merchant_id=merchant.pk, route=route, reference="OLD-1")
    outbox.drain(run_tasks=False)  # scheduling queues it and releases it to fulfilment
    distribution_order = DistributionOrder.objects.filter(order_id=order.pk).first() or distribution_order_create(
        order_id=order.pk, merchant_id=merchant.pk, carrier_code="hook-post", service_code="standard", actor="t"
    )
    distribution_order_book(distribution_order_id=distribution_order.pk, gateway=FixedGateway())
    assert _post(client, _body("INFO", "PICKUP", "TRANSIT")).status_code == 200
    order_advance(order_id=order.pk, target="delivered", actor="test")
    outbox.drain(run_tasks=False)
    long_ago = timezone.now() - timedelta(days=100)
    Order.objects.filter(pk=order.pk).update(updated_at=long_ago)
    return Order.objects.get(pk=order.pk)


def _archive() -> int:
    run = orders_archive(closed_before=timezone.now() - timedelta(days=90))
    outbox.drain(run_tasks=False)  # the other centers archive their rows on orders.orders.archived
    return run.orders


def test_an_archived_order_reads_the_same_for_its_merchant_and_its_buyer(client, api_client, delivered_long_ago):
    order = delivered_long_ago
    path = f"/api/v1/orders/{order.number}/"
    before = {
        "detail": api_client.get(path).json(),
        "events": api_client.get(path + "events/").json(),
        "buyer": client.get("/api/v1/tracking/", {"tracking_number": order.tracking_number}).json(),
    }
    assert len(before["events"]["results"]) >= 5 and order.tracking_number

    assert _archive() == 1

    assert not Order.objects.filter(pk=order.pk).exists()
    assert not Parcel.objects.filter(order_id=order.pk).exists()
    assert not OrderTransition.objects.filter(order_id=order.pk).exists()
    assert not DistributionOrder.objects.filter(order_id=order.pk).exists()
    assert not TrackingEvent.objects.filter(order_id=order.pk).exists()
    assert ArchivedRecord.objects.filter(order_id=order.pk, kind="distribution_order").count() == 1
    after = {
        "detail": api_client.get(path).json(),
        "events": api_client.get(path + "events/").json(),
        "buyer": client.get("/api/v1/tracking/", {"tracking_number": order.tracking_number}).json(),
    }
    assert after == before


def test_the_merchant_finds_archived_orders_with_the_same_filters(api_client, delivered_long_ago):
    order = delivered_long_ago
    _archive()

    current = api_client.get("/api/v1/orders/", {"reference": "OLD-1"}).json()["results"]
    archived = api_client.get("/api/v1/orders/", {"reference": "OLD-1", "archived": "true"}).json()["results"]
    elsewhere = api_client.get("/api/v1/orders/", {"archived": "true", "destination_country": "FR"}).json()["results"]

    assert current == [] and elsewhere == []
    assert [o["id"] for o in archived] == [str(order.pk)]
    assert archived[0]["state"] == "delivered"
    exported = b"".join(api_client.get("/api/v1/orders/export/", {"archived": "true"}).streaming_content).decode()
    assert order.number in exported and "OLD-1" in exported


def test_an_archived_order_cannot_change(api_client, delivered_long_ago):
    _archive()

    response = api_client.post(f"/api/v1/orders/{delivered_long_ago.number}/cancel/", {}, format="json")

    assert response.status_code == 409 and response.json()["code"] == "order_archived"


def test_the_portal_shows_an_archived_order_with_its_parcels_and_timeline(client, merchant_user, delivered_long_ago):
    order = delivered_long_ago
    _archive()
    client.force_login(merchant_user)

    detail = client.get(f"/orders/{order.number}/")
    listed = client.get("/orders/", {"archived": "true"})

    assert detail.status_code == 200
    text = detail.content.decode()
    assert order.number in text and "T-shirt" in text and "delivered" in text.lower()
    assert order.number in listed.content.decode()


def test_archiving_again_moves_nothing_and_open_or_recent_orders_stay(merchant, delivered_long_ago):
    recent = create_order(merchant_id=merchant.pk, route=fixed_route(carrier_code="hook-post"), reference="NEW-1")

    assert _archive() == 1
    assert _archive() == 0
    assert ArchivedOrder.objects.count() == 1
    assert Order.objects.filter(pk=recent.pk).exists()
    assert ArchivedRecord.objects.filter(kind="distribution_order").count() == 1
