"""Quotes (POST /api/v1/rates/) and orders created with the route the merchant picked from one."""

from decimal import Decimal

import pytest

from apps.common.models import OutboxEvent
from apps.orders.models import Order
from apps.orders.tests.factories import order_payload
from apps.resources.tests.factories import CarrierServiceFactory, CoverageFactory

RATES = "/api/v1/rates/"
ORDERS = "/api/v1/orders/"


def _service(carrier: str, *, base: str, level: str = "standard", status: str = "active", days=(5, 8)):
    service = CarrierServiceFactory(
        carrier__code=carrier,
        carrier__status=status,
        code=level,
        level=level,
        base_price=Decimal(base),
        transit_days_min=days[0],
        transit_days_max=days[1],
    )
    CoverageFactory(service=service, origin_country="CN", destination_country="DE")
    return service


@pytest.fixture
def services(db):
    """CN→DE: for the 1.2 kg standard parcel two services are eligible, two are not."""
    _service("pricey-post", base="20.00", days=(1, 2))  # 20 + 2 kg x 2 = 24.00
    _service("cheap-post", base="8.00")  # 8 + 2 kg x 2 = 12.00
    _service("fast-post", base="1.00", level="express")
    _service("closed-post", base="1.00", status="suspended")


def _nothing_written() -> bool:
    return not Order.objects.exists() and not OutboxEvent.objects.exists()


def test_a_quote_ranks_every_eligible_route_and_gives_each_excluded_ones_reason(api_client, services):
    response = api_client.post(RATES, order_payload(), format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["strategy"] == "cheapest"
    assert [(o["carrier_service"], o["price"], o["currency"]) for o in body["options"]] == [
        ("cheap-post/standard", "12.00", "USD"),
        ("pricey-post/standard", "24.00", "USD"),
    ]
    cheapest = body["options"][0]
    assert (cheapest["carrier"], cheapest["service"], cheapest["service_level"]) == (
        "cheap-post",
        "standard",
        "standard",
    )
    assert cheapest["transit_days"] == {"min": 5, "max": 8}
    assert cheapest["warehouse"] is None
    assert cheapest["breakdown"]["total"] == "12.00"
    assert {"delivery_window", "score"} <= set(cheapest)
    assert sorted((e["carrier"], e["service"], e["reason"]) for e in body["exclusions"]) == [
        ("closed-post", "standard", "carrier is suspended"),
        ("fast-post", "express", "service level is express, not standard"),
    ]
    assert _nothing_written()


def test_a_quote_ranks_by_the_strategy_asked_for(api_client, services):
    response = api_client.post(RATES, order_payload() | {"strategy": "fastest"}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["strategy"] == "fastest"
    assert [o["carrier"] for o in response.json()["options"]] == ["pricey-post", "cheap-post"]


def test_a_quote_with_no_eligible_route_answers_every_exclusion(api_client, services):
    to_express = order_payload(service_level="economy")

    response = api_client.post(RATES, to_express, format="json")

    assert response.status_code == 200
    assert response.json()["options"] == []
    assert len(response.json()["exclusions"]) == 4


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"strategy": "slowest"}, "strategy"),
        ({"parcels": []}, "parcels"),
        ({"service_level": "overnight"}, "service_level"),
    ],
)
def test_an_invalid_quote_request_names_the_field_in_the_one_error_format(api_client, services, change, field):
    response = api_client.post(RATES, order_payload() | change, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert list(response.json()["extra"]["fields"]) == [field]


def test_an_order_created_with_a_route_from_the_quote_gets_that_route(api_client, services):
    picked = api_client.post(RATES, order_payload(), format="json").json()["options"][1]["carrier_service"]

    response = api_client.post(ORDERS, order_payload(carrier_service=picked), format="json")

    assert response.status_code == 201, response.content
    assert (response.json()["carrier"], response.json()["quoted_price"]) == ("pricey-post", "24.00")
    row = Order.objects.get(pk=response.json()["id"])
    assert (row.carrier_code, row.route_explanation["chosen_by"]) == ("pricey-post", "merchant")


def test_without_a_pick_the_platform_chooses_by_the_strategy_and_records_it(api_client, services):
    by_default = api_client.post(ORDERS, order_payload(reference="A"), format="json")
    fastest = api_client.post(ORDERS, order_payload(reference="B", strategy="fastest"), format="json")

    assert (by_default.json()["carrier"], fastest.json()["carrier"]) == ("cheap-post", "pricey-post")
    rows = {o.reference: o.route_explanation for o in Order.objects.all()}
    assert (rows["A"]["strategy"], rows["A"]["chosen_by"]) == ("cheapest", "platform")
    assert (rows["B"]["strategy"], rows["B"]["chosen_by"]) == ("fastest", "platform")


@pytest.mark.parametrize(
    ("picked", "reason"),
    [("closed-post/standard", "carrier is suspended"), ("nobody/standard", "no such carrier service")],
)
def test_a_picked_route_that_cannot_take_the_order_is_refused_with_the_reason(api_client, services, picked, reason):
    response = api_client.post(ORDERS, order_payload(carrier_service=picked), format="json")

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "route_not_eligible"
    assert body["extra"]["fields"] == {"carrier_service": [f"{picked} cannot take this order: {reason}."]}
    assert _nothing_written()


def test_a_malformed_pick_is_a_field_error(api_client, services):
    response = api_client.post(ORDERS, order_payload(carrier_service="cheap-post"), format="json")

    assert response.status_code == 400
    assert list(response.json()["extra"]["fields"]) == ["carrier_service"]
    assert _nothing_written()


def test_in_bulk_each_order_is_routed_by_its_own_pick(api_client, services):
    orders = [
        order_payload(reference="OK", carrier_service="pricey-post/standard"),
        order_payload(reference="NO", carrier_service="fast-post/express"),
    ]

    response = api_client.post(f"{ORDERS}bulk/", {"orders": orders}, format="json")

    assert response.status_code == 200
    results = response.json()["results"]
    assert (results[0]["status"], results[0]["order"]["carrier"]) == (201, "pricey-post")
    assert (results[1]["status"], results[1]["error"]["code"]) == (422, "route_not_eligible")
    assert list(Order.objects.values_list("reference", flat=True)) == ["OK"]
