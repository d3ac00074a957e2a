"""The ERP API as a merchant's ERP sees it: JSON in, JSON out, one merchant's orders only."""

import copy

import pytest
from rest_framework.test import APIClient

from apps.common.models import OutboxEvent
from apps.merchants.models import ApiKey
from apps.merchants.services import api_key_issue, api_key_revoke
from apps.orders.models import Order
from apps.orders.tests.factories import order_payload
from apps.resources.tests.factories import CoverageFactory

ORDERS = "/api/v1/orders/"


def _post(client: APIClient, payload: dict | None = None, **overrides):
    return client.post(ORDERS, payload if payload is not None else order_payload(**overrides), format="json")


def _client(plaintext: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    return client


def _references(response) -> list[str]:
    return [o["reference"] for o in response.json()["results"]]


def _nothing_written() -> bool:
    return not Order.objects.exists() and not OutboxEvent.objects.filter(event_type__startswith="orders.").exists()


# Submitting


def test_a_submitted_order_comes_back_at_once_and_is_recorded_with_its_accepted_event(
    api_client, merchant, cn_de_service
):
    response = _post(api_client)

    assert response.status_code == 201
    body = response.json()
    assert isinstance(body["id"], str)
    assert body["id"].isdigit()
    assert (body["state"], body["carrier"], body["service"], body["reference"]) == (
        "accepted",
        "test-post",
        "standard",
        "ERP-1001",
    )
    assert (body["quoted_price"], body["quoted_currency"]) == ("14.00", "USD")
    assert body["recipient"]["postal_code"] == "10115"
    assert body["parcels"][0]["items"][0]["hs_code"] == "610910"
    row = Order.objects.get(pk=int(body["id"]))
    assert (row.merchant_id, row.number, row.state, row.channel) == (merchant.pk, body["number"], "accepted", "api")
    key = ApiKey.objects.get(merchant=merchant)
    events = OutboxEvent.objects.filter(aggregate_type="order", aggregate_id=body["id"])
    assert list(events.values_list("event_type", "merchant_id", "actor")) == [
        ("orders.order.accepted", merchant.pk, f"api-key:{key.pk}")
    ]


def test_ids_travel_as_strings_even_above_what_javascript_numbers_hold(api_client, cn_de_service):
    response = _post(api_client)

    order_id = response.json()["id"]
    assert int(order_id) > 2**53
    assert api_client.get(ORDERS).json()["results"][0]["id"] == order_id


def test_a_reference_already_used_by_the_merchant_is_refused_and_only_one_order_exists(
    api_client, merchant, cn_de_service
):
    first = _post(api_client, reference="ERP-7")

    second = _post(api_client, reference="ERP-7")

    assert second.status_code == 409
    body = second.json()
    assert body["code"] == "duplicate_reference"
    assert body["extra"] == {"order_id": first.json()["id"], "reference": "ERP-7"}
    assert list(Order.objects.filter(merchant=merchant).values_list("reference", flat=True)) == ["ERP-7"]
    assert OutboxEvent.objects.filter(event_type="orders.order.accepted").count() == 1


def test_two_merchants_may_use_the_same_reference(api_client, other_client, merchant, other_merchant, cn_de_service):
    _post(api_client, reference="PO-1")

    response = _post(other_client, reference="PO-1")

    assert response.status_code == 201
    assert Order.objects.filter(reference="PO-1").count() == 2


def test_an_order_no_carrier_can_take_is_refused_with_the_reason_for_each_service(api_client, cn_de_service):
    payload = order_payload()
    payload["recipient"] |= {"country": "US", "postal_code": "94105", "city": "San Francisco", "state": "CA"}

    response = _post(api_client, payload)

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "no_route"
    assert body["extra"] == {
        "exclusions": [{"carrier": "test-post", "service": "standard", "reason": "does not serve CN→US"}]
    }
    assert _nothing_written()


# Validation


def test_a_missing_recipient_is_named_in_the_error(api_client, cn_de_service):
    payload = order_payload()
    del payload["recipient"]

    response = _post(api_client, payload)

    assert response.status_code == 400
    assert response.json() == {
        "code": "validation_error",
        "message": "The request has invalid fields.",
        "extra": {"fields": {"recipient": ["This field is required."]}},
    }
    assert _nothing_written()


def _item(p: dict, **values) -> None:
    p["parcels"][0]["items"][0].update(values)


def _second_parcel_with_bad_currency(p: dict) -> None:
    parcel = copy.deepcopy(p["parcels"][0])
    parcel["items"][0]["currency"] = "DOLLARS"
    p["parcels"].append(parcel)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        pytest.param(lambda p: _item(p, currency="EURO"), "parcels[0].items[0].currency", id="currency-too-long"),
        pytest.param(lambda p: _item(p, currency="XXX"), "parcels[0].items[0].currency", id="currency-no-money"),
        pytest.param(lambda p: _item(p, currency="ABC"), "parcels[0].items[0].currency", id="currency-unknown"),
        pytest.param(lambda p: _item(p, quantity=0), "parcels[0].items[0].quantity", id="quantity-zero"),
        pytest.param(lambda p: _item(p, hs_code=""), "parcels[0].items[0].hs_code", id="cross-border-no-hs-code"),
        pytest.param(lambda p: _item(p, hs_code="6109"), "parcels[0].items[0].hs_code", id="short-hs-code"),
        pytest.param(lambda p: _item(p, origin_country="ZZ"), "parcels[0].items[0].origin_country", id="origin"),
        pytest.param(_second_parcel_with_bad_currency, "parcels[1].items[0].currency", id="second-parcel"),
        pytest.param(lambda p: p["parcels"][0].update(items=[]), "parcels[0].items", id="cross-border-no-items"),
        pytest.param(lambda p: p["parcels"][0].update(weight_g=0), "parcels[0].weight_g", id="zero-weight"),
        pytest.param(lambda p: p.update(parcels=[]), "parcels", id="no-parcels"),
        pytest.param(lambda p: p["recipient"].update(postal_code="1011"), "recipient.postal_code", id="de-postcode"),
        pytest.param(lambda p: p["recipient"].update(country="XX"), "recipient.country", id="country"),
        pytest.param(lambda p: p["recipient"].update(email="anna@"), "recipient.email", id="email"),
        pytest.param(lambda p: p["sender"].update(phone="call me"), "sender.phone", id="phone"),
        pytest.param(lambda p: p.update(service_level="overnight"), "service_level", id="service-level"),
    ],
)
def test_each_invalid_field_is_reported_under_its_path_and_nothing_is_recorded(
    api_client, cn_de_service, change, field
):
    payload = order_payload()
    change(payload)

    response = _post(api_client, payload)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert list(body["extra"]["fields"]) == [field]
    assert body["extra"]["fields"][field]
    assert _nothing_written()


def test_every_domain_problem_is_reported_at_once(api_client, cn_de_service):
    payload = order_payload()
    payload["recipient"]["postal_code"] = "ABC"
    _item(payload, hs_code="", currency="XTS")

    response = _post(api_client, payload)

    assert response.status_code == 400
    assert set(response.json()["extra"]["fields"]) == {
        "recipient.postal_code",
        "parcels[0].items[0].hs_code",
        "parcels[0].items[0].currency",
    }


def test_lowercase_codes_are_accepted_and_stored_in_capitals(api_client, cn_de_service):
    payload = order_payload()
    payload["recipient"] |= {"country": "de"}
    _item(payload, currency="usd", origin_country="cn")

    response = _post(api_client, payload)

    assert response.status_code == 201
    row = Order.objects.get(pk=int(response.json()["id"]))
    assert row.recipient_country == "DE"
    assert list(row.parcels.get().items.values_list("currency", "origin_country")) == [("USD", "CN")]


# Reading


def test_the_list_shows_the_merchants_orders_newest_first_a_page_at_a_time(api_client, cn_de_service):
    for reference in ("R-1", "R-2", "R-3"):
        _post(api_client, reference=reference)

    first = api_client.get(ORDERS, {"page_size": 2})
    second = api_client.get(first.json()["next"])

    assert first.status_code == 200
    assert _references(first) == ["R-3", "R-2"]
    assert first.json()["next"] is not None
    assert _references(second) == ["R-1"]
    assert second.json()["next"] is None


def test_an_order_can_be_read_by_its_id_and_by_its_number(api_client, cn_de_service):
    created = _post(api_client).json()

    by_id = api_client.get(f"{ORDERS}{created['id']}/")
    by_number = api_client.get(f"{ORDERS}{created['number']}/")
    by_lowercase_number = api_client.get(f"{ORDERS}{created['number'].lower()}/")

    assert [r.status_code for r in (by_id, by_number, by_lowercase_number)] == [200, 200, 200]
    assert by_id.json() == created
    assert by_number.json()["id"] == by_lowercase_number.json()["id"] == created["id"]


@pytest.mark.parametrize("order_id", ["1", "NOTANUMBER", "0", "99999999999999999999999"])
def test_an_unknown_order_is_not_found(api_client, cn_de_service, order_id):
    response = api_client.get(f"{ORDERS}{order_id}/")

    assert response.status_code == 404
    assert response.json()["code"] == "order_not_found"


def test_another_merchant_neither_sees_nor_cancels_the_order(api_client, other_client, cn_de_service):
    created = _post(api_client).json()

    by_id = other_client.get(f"{ORDERS}{created['id']}/")
    by_number = other_client.get(f"{ORDERS}{created['number']}/")
    listed = other_client.get(ORDERS)
    searched = other_client.get(ORDERS, {"reference": "ERP-1001"})
    cancel = other_client.post(f"{ORDERS}{created['id']}/cancel/", {}, format="json")

    assert [by_id.status_code, by_number.status_code, cancel.status_code] == [404, 404, 404]
    assert by_id.json()["code"] == "order_not_found"
    assert listed.json()["results"] == []
    assert searched.json()["results"] == []
    assert Order.objects.get(pk=int(created["id"])).state == "accepted"


@pytest.fixture
def orders_to_filter(api_client, cn_de_service):
    """DE-1 and DE-2 to Germany (DE-2 cancelled), FR-1 to France."""
    CoverageFactory(service=cn_de_service, destination_country="FR")
    _post(api_client, reference="DE-1")
    cancelled = _post(api_client, reference="DE-2").json()
    api_client.post(f"{ORDERS}{cancelled['id']}/cancel/", {"reason": "customer changed mind"}, format="json")
    payload = order_payload(reference="FR-1")
    payload["recipient"] |= {"country": "FR", "postal_code": "75001", "city": "Paris"}
    assert _post(api_client, payload).status_code == 201


@pytest.mark.parametrize(
    ("query", "references"),
    [
        ({}, ["FR-1", "DE-2", "DE-1"]),
        ({"state": "accepted"}, ["FR-1", "DE-1"]),
        ({"state": "cancelled"}, ["DE-2"]),
        ({"reference": "DE-1"}, ["DE-1"]),
        ({"reference": "DE"}, []),
        ({"destination_country": "de"}, ["DE-2", "DE-1"]),
        ({"destination_country": "FR"}, ["FR-1"]),
        ({"destination_country": "fr", "state": "accepted"}, ["FR-1"]),
        ({"archived": "false"}, ["FR-1", "DE-2", "DE-1"]),
        ({"archived": ""}, ["FR-1", "DE-2", "DE-1"]),
        ({"archived": "true"}, []),  # none closed long enough ago to be archived
    ],
)
def test_the_list_can_be_filtered(api_client, orders_to_filter, query, references):
    response = api_client.get(ORDERS, query)

    assert response.status_code == 200
    assert _references(response) == references


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"state": "teleported"}, "state"),
        # Not "not given": the caller would get the current orders while asking for something else.
        ({"archived": "yes please"}, "archived"),
        ({"archived": "2"}, "archived"),
    ],
)
def test_an_unknown_filter_value_is_a_validation_error(api_client, orders_to_filter, query, field):
    response = api_client.get(ORDERS, query)

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert list(response.json()["extra"]["fields"]) == [field]


# Authentication and scopes


@pytest.mark.parametrize(
    ("authorization", "code"),
    [
        (None, "not_authenticated"),
        ("Bearer lgk_000000000000_not-a-real-secret", "authentication_failed"),
        ("Bearer not-a-key", "authentication_failed"),
        ("Bearer ", "authentication_failed"),
        ("Basic dXNlcjpzZWNyZXQ=", "authentication_failed"),
    ],
)
def test_a_caller_without_a_valid_key_is_turned_away(cn_de_service, authorization, code):
    client = APIClient()
    if authorization is not None:
        client.credentials(HTTP_AUTHORIZATION=authorization)

    post = _post(client)
    get = client.get(ORDERS)

    assert [post.status_code, get.status_code] == [401, 401]
    assert post["WWW-Authenticate"] == "Bearer"
    assert post.json()["code"] == code
    assert _nothing_written()


def test_a_revoked_key_no_longer_works(merchant, cn_de_service):
    key, plaintext = api_key_issue(merchant=merchant, name="old erp")
    client = _client(plaintext)
    assert client.get(ORDERS).status_code == 200

    api_key_revoke(key=key)
    post = _post(client)
    get = client.get(ORDERS)

    assert [post.status_code, get.status_code] == [401, 401]
    assert _nothing_written()


def test_a_read_only_key_may_read_but_not_submit(merchant, cn_de_service):
    _, plaintext = api_key_issue(merchant=merchant, name="reporting", scopes=("orders:read",))
    client = _client(plaintext)

    post = _post(client)
    get = client.get(ORDERS)

    assert post.status_code == 403
    assert post.json()["code"] == "permission_denied"
    assert get.status_code == 200
    assert _nothing_written()


def test_a_write_only_key_may_submit_but_not_read(merchant, cn_de_service):
    _, plaintext = api_key_issue(merchant=merchant, name="intake", scopes=("orders:write",))
    client = _client(plaintext)

    post = _post(client)
    listed = client.get(ORDERS)
    detail = client.get(f"{ORDERS}{post.json()['id']}/")
    probed = client.head(f"{ORDERS}{post.json()['id']}/")

    assert post.status_code == 201
    assert [listed.status_code, detail.status_code, probed.status_code] == [403, 403, 403]


def test_the_auth_scheme_is_case_insensitive(api_key, cn_de_service):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"bearer {api_key}")

    assert client.get(ORDERS).status_code == 200


def test_the_created_order_in_the_answer_is_exactly_what_reads_back(api_client, cn_de_service):
    """The answer to a create is built from what was recorded, not read back: it must match."""
    payload = order_payload()
    payload["recipient"] |= {"country": "de", "postal_code": " 10115 "}
    item = payload["parcels"][0]["items"][0] | {"currency": "usd", "origin_country": "cn", "unit_value": "12.5"}
    payload["parcels"][0]["items"] = [item, item | {"description": "Socks", "sku": "", "quantity": 7}]
    payload["parcels"].append(copy.deepcopy(payload["parcels"][0]) | {"weight_g": 900})

    created = _post(api_client, payload)
    read_back = api_client.get(f"{ORDERS}{created.json()['id']}/")

    assert created.status_code == 201
    assert created.json() == read_back.json()
    assert created.json()["parcels"][1]["items"][1]["unit_value"] == "12.50"
    assert created.json()["recipient"]["postal_code"] == "10115"
