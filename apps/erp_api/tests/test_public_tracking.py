import uuid

import pytest
from rest_framework.test import APIClient

from apps.common import outbox
from apps.merchants.models import Merchant
from apps.orders.services import order_record_booking
from apps.orders.tests.factories import create_order


@pytest.fixture
def buyer():
    client = APIClient()
    client.defaults["REMOTE_ADDR"] = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.7"
    return client


def booked_order_merchant_name(order) -> str:
    return Merchant.objects.get(pk=order.merchant_id).name


@pytest.fixture
def booked_order(merchant, cn_de_service):
    order = create_order(merchant_id=merchant.pk)
    order_record_booking(order_id=order.pk, carrier_code="test-post", tracking_number="SBTES0000000042", actor="t")
    outbox.drain(run_tasks=False)
    return order


def test_a_buyer_follows_a_parcel_by_tracking_number_without_personal_data(buyer, booked_order):
    response = buyer.get("/api/v1/tracking/", {"tracking_number": "sbtes0000000042"})

    body = response.json()
    assert response.status_code == 200
    assert (body["number"], body["tracking_number"]) == (booked_order.number, "SBTES0000000042")
    assert (body["destination_city"], body["destination_country"]) == ("Berlin", "DE")
    assert [e["label"] for e in body["timeline"]][:1] == ["The shop has announced your parcel"]
    assert (body["merchant"], body["last_mile_carrier"], body["last_mile_tracking_number"]) == (
        booked_order_merchant_name(booked_order),
        "",
        "",
    )
    assert (body["estimated_delivery_earliest"], body["estimated_delivery_latest"]) == (None, None)  # not booked
    text = response.content.decode()
    for personal in ("Anna Schmidt", "Hauptstr", "anna@example.com", "+4930123456", "Shenzhen Gadgets"):
        assert personal not in text


def test_a_buyer_finds_it_by_order_number_and_postcode_but_not_by_number_alone(buyer, booked_order):
    found = buyer.get("/api/v1/tracking/", {"order_number": booked_order.number, "postal_code": "10115"})
    wrong_postcode = buyer.get("/api/v1/tracking/", {"order_number": booked_order.number, "postal_code": "10117"})
    number_alone = buyer.get("/api/v1/tracking/", {"order_number": booked_order.number})
    raw_id = buyer.get("/api/v1/tracking/", {"order_number": str(booked_order.id), "postal_code": "10115"})

    assert found.status_code == 200 and found.json()["number"] == booked_order.number
    assert wrong_postcode.status_code == 404
    assert number_alone.status_code == 400 and number_alone.json()["code"] == "validation_error"
    assert raw_id.status_code == 404


def test_guessing_tracking_numbers_is_throttled_with_retry_after(buyer, db):
    statuses = [buyer.get("/api/v1/tracking/", {"tracking_number": f"SBX{n:010d}"}).status_code for n in range(8)]

    assert statuses[:5] == [404] * 5
    assert statuses[-1] == 429
    throttled = buyer.get("/api/v1/tracking/", {"tracking_number": "SBX1"})
    assert throttled.status_code == 429 and int(throttled["Retry-After"]) >= 1
    assert throttled.json()["code"] == "throttled"


def _guess_from(client, forwarded_for: str, *, proxy: str) -> int:
    return client.get(
        "/api/v1/tracking/", {"tracking_number": "SBX0"}, REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=forwarded_for
    ).status_code


def test_behind_the_trusted_proxy_each_buyer_has_their_own_budget(db, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy, client = f"10.{uuid.uuid4().int % 250}.0.1", APIClient()
    guesser, buyer = f"203.0.{uuid.uuid4().int % 250}.9", f"198.51.{uuid.uuid4().int % 250}.4"

    guesses = [_guess_from(client, guesser, proxy=proxy) for _ in range(8)]
    # A forged leftmost entry does not give the guesser a fresh budget: the proxy's entry counts.
    forged = _guess_from(client, f"192.0.2.{uuid.uuid4().int % 250}, {guesser}", proxy=proxy)

    assert guesses[-1] == 429 and forged == 429
    assert _guess_from(client, buyer, proxy=proxy) == 404  # another buyer behind the same proxy


def test_without_a_trusted_proxy_the_forwarded_header_is_ignored(db, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    client, address = APIClient(), f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.8"

    statuses = [_guess_from(client, f"203.0.113.{n}", proxy=address) for n in range(8)]

    assert statuses[-1] == 429
