"""Carrier tracking webhooks: verified over the raw body, applied once, in event-time order."""

import hashlib
import hmac
import json
import time

import httpx
import pytest

from apps.common.testing import sandbox_headers
from apps.distribution.models import DistributionOrder, TrackingEvent
from apps.distribution.services import carrier_webhook_secret_set, distribution_order_book, distribution_order_create
from apps.distribution.tests.test_distribution_services import FixedGateway
from apps.orders.tests.factories import create_order
from apps.resources.tests.factories import CoverageFactory

SECRET = "whsec-test-secret"


@pytest.fixture
def booked(merchant):
    CoverageFactory(service__carrier__code="hook-post")
    carrier_webhook_secret_set(carrier_code="hook-post", secret=SECRET)
    order = create_order(merchant_id=merchant.pk)
    distribution_order = distribution_order_create(
        order_id=order.pk, merchant_id=merchant.pk, carrier_code="hook-post", service_code="standard", actor="t"
    )
    return distribution_order_book(distribution_order_id=distribution_order.pk, gateway=FixedGateway())


def _body(*statuses):
    events = [
        {"status": s, "description": s, "location": "Berlin, DE", "occurred_at": f"2026-11-01T12:0{i}:00+00:00"}
        for i, s in enumerate(statuses)
    ]
    return json.dumps({"shipments": [{"tracking_number": "TN1", "events": events}]}).encode()


def _post(client, body, *, secret=SECRET, timestamp=None):
    timestamp = int(time.time()) if timestamp is None else timestamp
    signature = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return client.post(
        "/webhooks/carriers/hook-post/",
        data=body,
        content_type="application/json",
        HTTP_X_SANDBOX_SIGNATURE=f"t={timestamp},v1={signature}",
    )


def test_a_signed_webhook_moves_the_parcel_and_a_repeat_changes_nothing(client, booked):
    first = _post(client, _body("INFO", "PICKUP", "TRANSIT"))
    again = _post(client, _body("INFO", "PICKUP", "TRANSIT"))

    booked.refresh_from_db()
    assert (first.status_code, again.status_code) == (200, 200)
    assert booked.state == "in_transit"
    assert TrackingEvent.objects.filter(distribution_order=booked).count() == 3


@pytest.mark.parametrize(
    "tamper",
    [
        {"secret": "someone-else"},
        {"timestamp": int(time.time()) - 3600},
    ],
    ids=["bad signature", "stale timestamp"],
)
def test_a_bad_signature_or_stale_timestamp_is_refused_and_nothing_is_kept(client, booked, tamper):
    response = _post(client, _body("INFO", "PICKUP"), **tamper)

    assert response.status_code == 401 and response.json()["code"] == "invalid_signature"
    assert not TrackingEvent.objects.filter(distribution_order=booked).exists()
    assert DistributionOrder.objects.get(pk=booked.pk).state == "booked"


def test_a_body_changed_after_signing_is_refused(client, booked):
    timestamp = int(time.time())
    signed = _body("INFO")
    signature = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + signed, hashlib.sha256).hexdigest()

    response = client.post(
        "/webhooks/carriers/hook-post/",
        data=_body("DELIVERED"),
        content_type="application/json",
        HTTP_X_SANDBOX_SIGNATURE=f"t={timestamp},v1={signature}",
    )

    assert response.status_code == 401
    assert DistributionOrder.objects.get(pk=booked.pk).state == "booked"


@pytest.mark.django_db(transaction=True)
def test_the_sandbox_pushes_duplicated_shuffled_webhooks_and_the_parcel_still_arrives(live_server, merchant, settings):
    settings.SANDBOX_DELIVERY_SECONDS = 1
    carrier_url = f"{live_server.url}/sandbox/carriers/push-post/"
    CoverageFactory(service__carrier__code="push-post", service__carrier__endpoint_url=carrier_url)
    carrier_webhook_secret_set(carrier_code="push-post", secret=SECRET)
    httpx.post(
        f"{carrier_url}behaviour/",
        json={
            "webhook_url": f"{live_server.url}/webhooks/carriers/push-post/",
            "webhook_secret": SECRET,
            "webhook_duplicate_rate": 1.0,
            "webhook_shuffle": True,
        },
        headers=sandbox_headers(),
    ).raise_for_status()
    order = create_order(merchant_id=merchant.pk)
    distribution_order = distribution_order_create(
        order_id=order.pk, merchant_id=merchant.pk, carrier_code="push-post", service_code="standard", actor="t"
    )
    distribution_order_book(distribution_order_id=distribution_order.pk)

    time.sleep(1.2)
    posts = httpx.post(f"{live_server.url}/sandbox/webhooks/flush/", headers=sandbox_headers(), timeout=30).json()[
        "posts"
    ]

    distribution_order.refresh_from_db()
    milestones = list(distribution_order.tracking_events.values_list("milestone", flat=True))
    assert posts > len(milestones)  # every event sent, one of them twice
    assert distribution_order.state == "delivered"
    assert milestones[0] == "info_received" and milestones[-1] == "delivered"
    assert len(milestones) == len(set(distribution_order.tracking_events.values_list("carrier_status", "occurred_at")))
