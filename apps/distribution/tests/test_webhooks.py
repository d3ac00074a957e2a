"""Carrier tracking webhooks: verified over the raw body, applied once, in event-time order."""

import hashlib
import hmac
import json
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from django.utils import timezone

from apps.common.testing import sandbox_headers
from apps.distribution.gateways import SandboxGateway, TrackingUpdate
from apps.distribution.models import DistributionOrder, TrackingEvent
from apps.distribution.services import (
    carrier_webhook_secret_set,
    distribution_order_book,
    distribution_order_create,
    tracking_apply,
)
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


def _events_body(*events):
    return json.dumps({"shipments": [{"tracking_number": "TN1", "events": list(events)}]}).encode()


def _event(status, occurred_at):
    return {"status": status, "description": status, "location": "Berlin, DE", "occurred_at": occurred_at}


@pytest.mark.parametrize("occurred_at", ["9999-12-31T23:59:59+00:00", "2026-11-01T12:00:00"], ids=["future", "naive"])
def test_a_webhook_whose_only_event_has_an_unbelievable_time_is_refused_and_later_news_applies(
    client, booked, occurred_at
):
    refused = _post(client, _events_body(_event("PICKUP", occurred_at)))
    later = _post(client, _events_body(_event("DELIVERED", "2026-11-01T12:05:00+00:00")))

    assert refused.status_code == 400 and refused.json()["code"] == "invalid_events"
    assert later.status_code == 200
    booked.refresh_from_db()
    assert booked.state == "delivered" and booked.next_poll_at is None
    assert list(TrackingEvent.objects.filter(distribution_order=booked).values_list("carrier_status", flat=True)) == [
        "DELIVERED"
    ]


def test_in_a_mixed_webhook_only_the_unbelievable_events_are_skipped(client, booked):
    response = _post(
        client,
        _events_body(
            _event("PICKUP", "2026-11-01T12:00:00+00:00"),
            _event("TRANSIT", "9999-12-31T00:00:00+00:00"),
            _event("OUT_FOR_DELIVERY", "2026-11-01T12:01:00"),
        ),
    )
    delivered = _post(client, _events_body(_event("DELIVERED", "2026-11-01T12:05:00+00:00")))

    assert (response.status_code, delivered.status_code) == (200, 200)
    statuses = TrackingEvent.objects.filter(distribution_order=booked).values_list("carrier_status", flat=True)
    assert sorted(statuses) == ["DELIVERED", "PICKUP"]
    assert DistributionOrder.objects.get(pk=booked.pk).state == "delivered"


def test_a_polled_event_from_the_future_is_skipped_and_the_real_delivery_still_applies(booked, settings):
    settings.CARRIER_EVENT_MAX_FUTURE_SECONDS = 900
    near = (timezone.now() + timedelta(minutes=10)).isoformat()  # within the clocks' skew: believed
    polled = SandboxGateway(endpoint_url="http://127.0.0.1:1/", api_key="")._updates(
        [
            {
                "tracking_number": "TN1",
                "events": [
                    _event("PICKUP", "2026-11-01T12:00:00+00:00"),
                    _event("TRANSIT", "9999-12-31T23:59:59+00:00"),
                    _event("TRANSIT", "2026-11-01T12:01:00"),
                    _event("OUT_FOR_DELIVERY", near),
                ],
            }
        ]
    )["TN1"]
    forged = TrackingUpdate(
        milestone="in_transit",
        carrier_status="TRANSIT",
        description="",
        location="",
        occurred_at=datetime(9999, 12, 31, tzinfo=UTC),
    )

    tracking_apply(distribution_order_id=booked.pk, updates=[*polled, forged])
    after_future = DistributionOrder.objects.get(pk=booked.pk)
    tracking_apply(
        distribution_order_id=booked.pk,
        updates=[
            TrackingUpdate(
                milestone="delivered",
                carrier_status="DELIVERED",
                description="",
                location="",
                occurred_at=timezone.now() + timedelta(minutes=11),
            )
        ],
    )

    assert [u.carrier_status for u in polled] == ["PICKUP", "OUT_FOR_DELIVERY"]
    assert after_future.state == "out_for_delivery" and after_future.last_event_at.year < 9999
    assert DistributionOrder.objects.get(pk=booked.pk).state == "delivered"
