"""Rate limits, size caps, the one error format for every failure, and cross-border validation."""

import copy

import pytest
from django.db import InterfaceError, OperationalError
from rest_framework.test import APIClient

from apps.common.testing import run_concurrently
from apps.merchants.services import api_key_issue
from apps.orders.models import Order
from apps.orders.tests.bulk import bulk_insert_orders
from apps.orders.tests.factories import order_payload

ORDERS = "/api/v1/orders/"


def _client(plaintext: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    return client


def _assert_error_format(response, status: int, code: str) -> None:
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"code", "message", "extra"}, body
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]


# Rate limits


@pytest.fixture
def small_bucket(settings):
    settings.API_RATE_LIMIT_BURST = 5
    settings.API_RATE_LIMIT_PER_SECOND = 0.001  # no refill within a test


def test_a_key_past_its_rate_gets_429_with_retry_after_and_other_keys_go_on(small_bucket, merchant, api_client):
    _, second_key = api_key_issue(merchant=merchant, name="second")

    statuses = [api_client.get(ORDERS).status_code for _ in range(6)]
    throttled = api_client.get(ORDERS)
    other = _client(second_key).get(ORDERS)

    assert statuses == [200] * 5 + [429]
    _assert_error_format(throttled, 429, "throttled")
    assert int(throttled["Retry-After"]) >= 1
    assert other.status_code == 200


@pytest.mark.django_db(transaction=True)
def test_the_bucket_holds_under_concurrent_requests(small_bucket, api_key):
    responses = run_concurrently(*[lambda: _client(api_key).get(ORDERS)] * 12)

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * 5 + [429] * 7


@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_are_limited_too_and_only_admitted_ones_act(small_bucket, api_key, cn_de_service):
    responses = run_concurrently(
        *[lambda n=n: _client(api_key).post(ORDERS, order_payload(reference=f"C-{n}"), format="json") for n in range(9)]
    )

    assert sorted(r.status_code for r in responses) == [201] * 5 + [429] * 4
    assert Order.objects.count() == 5


# Size caps


def test_a_page_holds_at_most_200_orders(api_client, merchant):
    bulk_insert_orders(merchant_id=merchant.pk, count=250)

    response = api_client.get(ORDERS, {"page_size": 1000})

    assert response.status_code == 200
    assert len(response.json()["results"]) == 200
    assert response.json()["next"] is not None


def test_a_body_over_the_cap_is_413_before_it_is_read(api_client, settings, cn_de_service):
    settings.API_MAX_BODY_BYTES = 2000
    payload = order_payload()
    payload["parcels"][0]["items"] *= 20

    response = api_client.post(ORDERS, payload, format="json")

    _assert_error_format(response, 413, "request_too_large")
    assert not Order.objects.exists()


# One format for every failure


def test_an_unknown_api_path_is_a_json_404(api_client):
    _assert_error_format(api_client.get("/api/v1/nothing-here/"), 404, "not_found")
    _assert_error_format(api_client.get("/api/v2/orders/"), 404, "not_found")


def test_with_debug_on_an_unknown_api_path_and_a_crash_are_still_json(api_client, cn_de_service, settings, monkeypatch):
    """`make run` has DEBUG on: Django's HTML debug pages must not reach API clients."""
    from apps.erp_api import views

    settings.DEBUG = True

    def crash(**kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(views, "order_submit", crash)
    api_client.raise_request_exception = False

    _assert_error_format(api_client.get("/api/v1/nothing-here/"), 404, "not_found")
    _assert_error_format(api_client.get("/api/nothing/"), 404, "not_found")
    crashed = api_client.post(ORDERS, order_payload(), format="json")
    _assert_error_format(crashed, 500, "server_error")
    assert "secret internals" not in crashed.content.decode()


@pytest.mark.parametrize("depth", [33, 100, 100_000])
def test_json_nested_deeper_than_the_limit_is_a_400(api_client, cn_de_service, depth):
    body = '{"reference": ' + "[" * depth + "]" * depth + "}"

    response = api_client.post(ORDERS, body, content_type="application/json")

    _assert_error_format(response, 400, "parse_error")
    assert "nested deeper than 32" in response.json()["message"]
    assert not Order.objects.exists()


def test_json_nested_within_the_limit_is_judged_by_its_fields(api_client, cn_de_service):
    response = api_client.post(ORDERS, '{"reference": ' + "[" * 30 + "]" * 30 + "}", content_type="application/json")

    _assert_error_format(response, 400, "validation_error")


def test_pages_outside_the_api_keep_django_errors(client, db):
    response = client.get("/no-such-page-anywhere/")

    assert response.status_code == 404
    assert not response["Content-Type"].startswith("application/json")


def test_a_method_the_endpoint_lacks_is_a_json_405(api_client):
    _assert_error_format(api_client.delete(ORDERS), 405, "method_not_allowed")
    _assert_error_format(api_client.put(f"{ORDERS}1/"), 405, "method_not_allowed")


def test_a_body_that_is_not_json_is_a_json_415(api_client, cn_de_service):
    response = api_client.post(ORDERS, "name=x", content_type="application/x-www-form-urlencoded")

    _assert_error_format(response, 415, "unsupported_media_type")


def test_malformed_json_is_a_json_400(api_client, cn_de_service):
    response = api_client.post(ORDERS, '{"reference": ', content_type="application/json")

    _assert_error_format(response, 400, "parse_error")


def test_asking_for_html_still_gets_json(api_client):
    response = api_client.get(ORDERS, HTTP_ACCEPT="text/html")

    assert response.status_code == 200 and response["Content-Type"] == "application/json"


def test_a_crash_is_a_json_500_that_says_nothing_of_the_inside(api_client, cn_de_service, monkeypatch):
    from apps.erp_api import views

    def crash(**kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(views, "order_submit", crash)
    api_client.raise_request_exception = False

    response = api_client.post(ORDERS, order_payload(), format="json")

    _assert_error_format(response, 500, "server_error")
    assert "secret internals" not in response.content.decode()


@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_an_unreachable_database_is_a_json_503_with_retry_after(api_client, cn_de_service, monkeypatch, error):
    from apps.erp_api import views

    def database_gone(**kwargs):
        raise error("connection to server at 127.0.0.1 failed: Connection refused")

    monkeypatch.setattr(views, "order_submit", database_gone)
    api_client.raise_request_exception = False

    response = api_client.post(ORDERS, order_payload(), format="json")

    _assert_error_format(response, 503, "service_unavailable")
    assert int(response["Retry-After"]) >= 1
    assert "127.0.0.1" not in response.content.decode()
    assert not Order.objects.exists()


def test_a_missing_key_is_a_json_401(db):
    response = APIClient().get(ORDERS)

    _assert_error_format(response, 401, "not_authenticated")


# What a cross-border shipper relies on


def _mixed_currencies(p: dict) -> None:
    parcel = copy.deepcopy(p["parcels"][0])
    parcel["items"][0]["currency"] = "EUR"
    p["parcels"].append(parcel)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        pytest.param(lambda p: p["recipient"].update(country="DEU"), "recipient.country", id="alpha-3-country"),
        pytest.param(lambda p: p["sender"].update(country="ZZ"), "sender.country", id="sender-country"),
        pytest.param(
            lambda p: p["recipient"].update(country="GB", postal_code="12345"), "recipient.postal_code", id="gb"
        ),
        pytest.param(
            lambda p: p["recipient"].update(country="US", state="CA", postal_code="9410"),
            "recipient.postal_code",
            id="us",
        ),
        pytest.param(
            lambda p: p["recipient"].update(country="PL", postal_code="00950"), "recipient.postal_code", id="pl"
        ),
        pytest.param(lambda p: p["parcels"][0].update(weight_g=-5), "parcels[0].weight_g", id="negative-weight"),
        pytest.param(lambda p: p["parcels"][0].update(height_mm=0), "parcels[0].height_mm", id="zero-height"),
        pytest.param(lambda p: p["parcels"][0].update(length_mm=20_000), "parcels[0].length_mm", id="absurd-length"),
        pytest.param(
            lambda p: p["parcels"][0]["items"][0].update(hs_code="6109.10"), "parcels[0].items[0].hs_code", id="hs-dot"
        ),
        pytest.param(
            lambda p: p["parcels"][0]["items"][0].update(hs_code="61091"), "parcels[0].items[0].hs_code", id="hs-5"
        ),
        pytest.param(
            lambda p: p["parcels"][0]["items"][0].update(unit_value="0.00"),
            "parcels[0].items[0].unit_value",
            id="zero-value",
        ),
        pytest.param(
            lambda p: p["parcels"][0]["items"][0].update(unit_value="-3"),
            "parcels[0].items[0].unit_value",
            id="negative-value",
        ),
        pytest.param(_mixed_currencies, "parcels[1].items[0].currency", id="mixed-currencies-on-one-declaration"),
        pytest.param(lambda p: p["recipient"].update(phone="------"), "recipient.phone", id="phone-without-digits"),
        pytest.param(lambda p: p["recipient"].update(phone="+1234567890123456"), "recipient.phone", id="phone-long"),
        pytest.param(lambda p: p["recipient"].update(email="anna@example"), "recipient.email", id="email-no-tld"),
        pytest.param(lambda p: p["recipient"].update(email="a b@example.com"), "recipient.email", id="email-space"),
        pytest.param(lambda p: p["recipient"].update(name="Anna\x00"), "recipient.name", id="nul-byte"),
    ],
)
def test_cross_border_checks_name_the_field(api_client, cn_de_service, change, field):
    payload = order_payload()
    change(payload)

    response = api_client.post(ORDERS, payload, format="json")

    _assert_error_format(response, 400, "validation_error")
    assert list(response.json()["extra"]["fields"]) == [field]
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    ("country", "postcode", "state"),
    [
        ("GB", "SW1A 1AA", ""),
        ("US", "94105-1234", "CA"),
        ("NL", "1011 AB", ""),
        ("CA", "K1A 0B1", "ON"),
        ("PL", "00-950", ""),
        ("JP", "100-0001", "Tokyo"),
    ],
)
def test_valid_postcodes_of_main_destinations_pass_validation(api_client, cn_de_service, country, postcode, state):
    payload = order_payload()
    payload["recipient"] |= {"country": country, "postal_code": postcode, "state": state}

    response = api_client.post(ORDERS, payload, format="json")

    # No carrier serves these lanes in this test: passing validation means reaching routing.
    _assert_error_format(response, 422, "no_route")


def test_a_parcel_over_the_carriers_limits_is_refused_with_the_limit(api_client, cn_de_service):
    heavy = order_payload()
    heavy["parcels"][0]["weight_g"] = cn_de_service.max_weight_g + 1
    long = order_payload()
    long["parcels"][0]["length_mm"] = cn_de_service.max_length_mm + 1

    heavy_response = api_client.post(ORDERS, heavy, format="json")
    long_response = api_client.post(ORDERS, long, format="json")

    _assert_error_format(heavy_response, 422, "no_route")
    assert "limit" in heavy_response.json()["extra"]["exclusions"][0]["reason"]
    _assert_error_format(long_response, 422, "no_route")
    assert "mm limit" in long_response.json()["extra"]["exclusions"][0]["reason"]
    assert not Order.objects.exists()


def test_a_domestic_parcel_needs_no_customs_data(api_client, cn_de_service):
    from apps.resources.tests.factories import CoverageFactory

    CoverageFactory(service=cn_de_service, origin_country="DE", destination_country="DE")
    payload = order_payload()
    payload["sender"] |= {"country": "DE", "postal_code": "20095", "city": "Hamburg"}
    payload["parcels"][0]["items"] = []

    response = api_client.post(ORDERS, payload, format="json")

    assert response.status_code == 201


@pytest.mark.parametrize(
    "moment", ["0245-07-06T19:07:34+20:15", "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"]
)
def test_odd_but_valid_iso_moments_in_filters_are_answered_not_crashed_on(api_client, merchant, moment):
    """Found by Schemathesis: PostgreSQL refused offsets beyond ±15:59 (a 500)."""
    bulk_insert_orders(merchant_id=merchant.pk, count=3)

    before = api_client.get(ORDERS, {"created_before": moment})
    after = api_client.get(ORDERS, {"created_after": moment})

    assert (before.status_code, after.status_code) == (200, 200)


def test_a_misspelt_filter_is_refused_rather_than_ignored(api_client):
    response = api_client.get(ORDERS, {"stat": "cancelled"})

    _assert_error_format(response, 400, "validation_error")
    assert response.json()["extra"]["fields"] == {"stat": ["Unknown query parameter."]}


@pytest.mark.parametrize("page_size", ["0", "-1", "abc", "1.5"])
def test_a_page_size_that_is_no_whole_positive_number_is_refused(api_client, page_size):
    response = api_client.get(ORDERS, {"page_size": page_size})

    _assert_error_format(response, 400, "validation_error")
    assert list(response.json()["extra"]["fields"]) == ["page_size"]


def test_a_filter_given_twice_is_refused_unless_it_takes_several_values(api_client, merchant):
    bulk_insert_orders(merchant_id=merchant.pk, count=2)

    twice = api_client.get(f"{ORDERS}?carrier=a&carrier=b")
    states = api_client.get(f"{ORDERS}?state=accepted&state=scheduled")

    _assert_error_format(twice, 400, "validation_error")
    assert twice.json()["extra"]["fields"] == {"carrier": ["Give this parameter once."]}
    assert states.status_code == 200
    assert len(states.json()["results"]) == 2


# Aggregate limits (apps/shipping/validation.py) and what a bulk costs


def _order_with(*, parcels: int = 1, items: int = 1, quantity: int = 1, unit_value: str = "12.50") -> dict:
    payload = order_payload()
    item = {**payload["parcels"][0]["items"][0], "quantity": quantity, "unit_value": unit_value}
    payload["parcels"] = [{**payload["parcels"][0], "items": [item] * items}] * parcels
    return payload


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (_order_with(parcels=51), "parcels"),
        (_order_with(items=101), "parcels[0].items"),
        (_order_with(quantity=10_001), "parcels[0].items[0].quantity"),
        (_order_with(quantity=100_000, unit_value="9999999999.99"), "parcels[0].items[0].quantity"),
        (_order_with(quantity=10_000, unit_value="9999999999.99"), "parcels"),
        (_order_with(items=100, quantity=10_000, unit_value="1000.00"), "parcels"),
    ],
    ids=["parcels", "items", "quantity", "probe", "value", "value over items"],
)
def test_an_order_over_a_carriers_limits_is_a_400_naming_the_field(api_client, cn_de_service, payload, field):
    response = api_client.post(ORDERS, payload, format="json")

    _assert_error_format(response, 400, "validation_error")
    assert field in response.json()["extra"]["fields"]
    assert not Order.objects.exists()


def test_a_bulk_costs_a_token_per_order(small_bucket, api_key, cn_de_service):
    client = _client(api_key)
    orders = [order_payload(reference=f"B-{n}") for n in range(5)]

    bulk = client.post(f"{ORDERS}bulk/", {"orders": orders}, format="json")
    after = client.get(ORDERS)

    assert bulk.status_code == 200 and bulk.json()["created"] == 5
    assert after.status_code == 429 and int(after["Retry-After"]) >= 1


def test_a_bulk_larger_than_the_burst_goes_through_once_and_leaves_a_debt(settings, api_key, cn_de_service):
    settings.API_RATE_LIMIT_BURST = 3
    settings.API_RATE_LIMIT_PER_SECOND = 1
    client = _client(api_key)

    bulk = client.post(
        f"{ORDERS}bulk/", {"orders": [order_payload(reference=f"D-{n}") for n in range(8)]}, format="json"
    )
    after = client.get(ORDERS)

    assert bulk.status_code == 200
    assert after.status_code == 429 and int(after["Retry-After"]) >= 5  # eight orders at one a second
