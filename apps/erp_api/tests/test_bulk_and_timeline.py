"""Bulk create (a result per order, partial success) and the order's event timeline."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.common.models import OutboxEvent
from apps.distribution.gateways import TrackingUpdate
from apps.distribution.services import distribution_order_book, distribution_order_create, tracking_apply
from apps.distribution.tests.test_distribution_services import FixedGateway
from apps.erp_api import views
from apps.orders.models import Order
from apps.orders.services import order_cancel
from apps.orders.tests.factories import create_order, order_payload

pytestmark = pytest.mark.clock

BULK = "/api/v1/orders/bulk/"


def test_a_bulk_of_good_and_bad_orders_creates_the_good_ones_and_explains_each_bad_one(
    api_client, merchant, cn_de_service
):
    bad_postcode = order_payload(reference="B-2")
    bad_postcode["recipient"]["postal_code"] = "1011"
    to_the_us = order_payload(reference="B-4")
    to_the_us["recipient"] |= {"country": "US", "postal_code": "94105", "city": "San Francisco", "state": "CA"}
    orders = [order_payload(reference="B-1"), bad_postcode, order_payload(reference="B-1"), to_the_us, "not an order"]
    orders.append(order_payload(reference="B-6"))

    response = api_client.post(BULK, {"orders": orders}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert (body["created"], body["failed"]) == (2, 4)
    results = body["results"]
    assert [(r["index"], r["status"]) for r in results] == [(0, 201), (1, 400), (2, 409), (3, 422), (4, 400), (5, 201)]
    assert results[0]["order"]["reference"] == "B-1" and results[0]["error"] is None
    assert results[0]["order"]["parcels"][0]["items"][0]["hs_code"] == "610910"
    assert results[1]["order"] is None
    assert results[1]["error"]["code"] == "validation_error"
    assert list(results[1]["error"]["extra"]["fields"]) == ["recipient.postal_code"]
    assert results[2]["error"]["code"] == "duplicate_reference"
    assert results[2]["error"]["extra"]["order_id"] == results[0]["order"]["id"]
    assert results[3]["error"]["code"] == "no_route"
    assert results[4]["error"]["code"] == "validation_error"
    stored = Order.objects.filter(merchant=merchant).order_by("reference")
    assert list(stored.values_list("reference", "channel")) == [("B-1", "api_bulk"), ("B-6", "api_bulk")]
    assert OutboxEvent.objects.filter(event_type="orders.order.accepted").count() == 2


def test_a_bulk_answer_matches_what_single_creates_return(api_client, cn_de_service):
    bulk = api_client.post(BULK, {"orders": [order_payload(reference="X-1")]}, format="json").json()

    single = api_client.get(f"/api/v1/orders/{bulk['results'][0]['order']['id']}/").json()

    assert bulk["results"][0]["order"] == single


@pytest.mark.parametrize(
    ("body", "field"),
    [({"orders": []}, "orders"), ({}, "orders"), ({"orders": "x"}, "orders"), ({"orders": [{}] * 501}, "orders")],
    ids=["empty", "missing", "not-a-list", "over-500"],
)
def test_a_malformed_bulk_is_refused_whole(api_client, cn_de_service, body, field):
    response = api_client.post(BULK, body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert list(response.json()["extra"]["fields"]) == [field]
    assert not Order.objects.exists()


def test_500_orders_go_through_in_one_request(api_client, merchant, cn_de_service):
    orders = [order_payload(reference=f"BULK-{n}") for n in range(500)]

    response = api_client.post(BULK, {"orders": orders}, format="json")

    assert response.status_code == 200
    assert response.json()["created"] == 500
    assert [r["index"] for r in response.json()["results"]] == list(range(500))
    assert Order.objects.filter(merchant=merchant).count() == 500


def test_one_order_crashing_does_not_lose_the_others(api_client, cn_de_service, monkeypatch):
    real_submit = views.order_submit

    def flaky(**kwargs):
        if kwargs["draft"].reference == "CRASH":
            raise RuntimeError("boom")
        return real_submit(**kwargs)

    monkeypatch.setattr(views, "order_submit", flaky)
    orders = [order_payload(reference="OK-1"), order_payload(reference="CRASH"), order_payload(reference="OK-2")]

    response = api_client.post(BULK, {"orders": orders}, format="json")

    assert response.status_code == 200
    assert [r["status"] for r in response.json()["results"]] == [201, 500, 201]
    assert response.json()["results"][1]["error"]["code"] == "server_error"
    assert sorted(Order.objects.values_list("reference", flat=True)) == ["OK-1", "OK-2"]


def test_a_retried_bulk_with_its_key_creates_nothing_twice(api_client, cn_de_service):
    orders = {"orders": [order_payload(reference="K-1"), order_payload(reference="K-2")]}

    first = api_client.post(BULK, orders, format="json", HTTP_IDEMPOTENCY_KEY="batch-7")
    retry = api_client.post(BULK, orders, format="json", HTTP_IDEMPOTENCY_KEY="batch-7")

    assert first.json()["created"] == 2
    assert retry.content == first.content and retry["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 2


# The timeline


def test_the_timeline_has_each_state_reached_and_each_tracking_event_oldest_first(api_client, merchant):
    order = create_order(merchant_id=merchant.pk)
    leg = distribution_order_create(
        order_id=order.pk, merchant_id=merchant.pk, carrier_code="test-post", service_code="standard", actor="t"
    )
    distribution_order_book(distribution_order_id=leg.pk, gateway=FixedGateway())
    scan = TrackingUpdate("in_transit", "DEP", "Departed hub", "Shenzhen", timezone.now() + timedelta(minutes=5))
    tracking_apply(distribution_order_id=leg.pk, updates=[scan])

    response = api_client.get(f"/api/v1/orders/{order.number}/events/")

    assert response.status_code == 200
    events = response.json()["results"]
    assert events[0] | {"occurred_at": None} == {
        "type": "state_changed",
        "occurred_at": None,
        "state": "accepted",
        "previous_state": "",
        "milestone": "",
        "carrier_status": "",
        "description": "received via api",
        "location": "",
    }
    assert [e["occurred_at"] for e in events] == sorted(e["occurred_at"] for e in events)
    assert events[-1]["type"] == "tracking"
    assert (events[-1]["milestone"], events[-1]["description"], events[-1]["location"]) == (
        "in_transit",
        "Departed hub",
        "Shenzhen",
    )


def test_a_cancelled_order_shows_the_cancellation_with_its_reason(api_client, merchant):
    order = create_order(merchant_id=merchant.pk)
    order_cancel(merchant_id=merchant.pk, order_id=order.pk, actor="t", reason="buyer changed mind")

    events = api_client.get(f"/api/v1/orders/{order.id}/events/").json()["results"]

    assert [(e["state"], e["previous_state"]) for e in events] == [("accepted", ""), ("cancelled", "accepted")]
    assert events[-1]["description"] == "buyer changed mind"
