"""The new-order form's quotes: the merchant sees the ranked routes, picks one or leaves it to us."""

import re
from decimal import Decimal

import pytest

from apps.orders.models import Order
from apps.portal.tests.test_portal import FORM
from apps.resources.tests.factories import CarrierServiceFactory, CoverageFactory


def _service(carrier: str, *, base: str, level: str = "standard", days=(5, 8)):
    service = CarrierServiceFactory(
        carrier__code=carrier,
        code=level,
        level=level,
        base_price=Decimal(base),
        transit_days_min=days[0],
        transit_days_max=days[1],
    )
    CoverageFactory(service=service, origin_country="CN", destination_country="DE")


@pytest.fixture
def services(db):
    _service("pricey-post", base="20.00", days=(1, 2))  # 24.00 for the 1.2 kg parcel
    _service("cheap-post", base="8.00")  # 12.00
    _service("fast-post", base="1.00", level="express")  # wrong level for a standard order


@pytest.fixture
def portal(client, merchant_user):
    client.force_login(merchant_user)
    return client


def _section(text: str, marker: str, end: str) -> str:
    text = text[text.index(marker) :]
    return text[: text.index(end)]


def test_get_quotes_shows_the_ranked_routes_and_the_exclusions_and_creates_nothing(portal, merchant, services):
    response = portal.post("/orders/new/", {**FORM, "action": "quote"})

    assert response.status_code == 200
    text = response.content.decode()
    first, second = _section(text, 'id="quote-0"', "</tr>"), _section(text, 'id="quote-1"', "</tr>")
    assert 'value="cheap-post/standard"' in first and "12.00 USD" in first
    # The delivery window, e.g. "Mon 30 Nov to Thu 3 Dec".
    assert re.search(
        r"[A-Z][a-z]{2} \d{1,2} [A-Z][a-z]{2} to [A-Z][a-z]{2} \d{1,2} [A-Z][a-z]{2}", first
    )  # delivery window
    assert 'value="pricey-post/standard"' in second and "24.00 USD" in second
    assert 'value="" checked' in text  # the platform chooses unless the merchant picks
    assert "fast-post/express: service level is express, not standard" in _section(
        text, 'id="exclusions"', "</details>"
    )
    assert not Order.objects.filter(merchant=merchant).exists()


def test_quotes_follow_the_strategy_chosen(portal, services):
    response = portal.post("/orders/new/", {**FORM, "action": "quote", "strategy": "fastest"})

    assert 'value="pricey-post/standard"' in _section(response.content.decode(), 'id="quote-0"', "</tr>")


def test_a_picked_route_is_the_orders_route(portal, merchant, services):
    response = portal.post("/orders/new/", {**FORM, "action": "submit", "route": "pricey-post/standard"})

    order = Order.objects.get(merchant=merchant, reference="P-1")
    assert response.status_code == 302
    assert (order.carrier_code, order.service_code, order.quoted_price) == ("pricey-post", "standard", Decimal("24.00"))
    assert order.route_explanation["chosen_by"] == "merchant"


def test_left_to_the_platform_the_cheapest_route_is_taken(portal, merchant, services):
    portal.post("/orders/new/", {**FORM, "action": "submit", "route": ""})

    order = Order.objects.get(merchant=merchant, reference="P-1")
    assert (order.carrier_code, order.route_explanation["chosen_by"]) == ("cheap-post", "platform")


def test_an_ineligible_pick_is_refused_beside_the_route_with_the_reason(portal, merchant, services):
    response = portal.post("/orders/new/", {**FORM, "action": "submit", "route": "fast-post/express"})

    assert response.status_code == 400
    route = _section(response.content.decode(), 'id="field-route"', "</fieldset>")
    assert "fast-post/express cannot take this order: service level is express, not standard." in route
    assert 'value="cheap-post/standard"' in route  # the routes that can are offered again
    assert not Order.objects.filter(merchant=merchant).exists()


def test_a_quote_for_an_invalid_order_shows_the_problem_beside_its_field(portal, merchant, services):
    response = portal.post("/orders/new/", {**FORM, "action": "quote", "recipient_postal_code": "ABC"})

    assert response.status_code == 400
    assert "is not a valid DE postcode" in _section(
        response.content.decode(), 'id="field-recipient_postal_code"', "</div>"
    )
    assert 'id="quote-0"' not in response.content.decode()


def test_a_chinese_merchant_reads_why_a_route_cannot_take_the_order_in_chinese(portal, services):
    text = portal.post("/orders/new/", {**FORM, "action": "quote"}, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()

    assert "fast-post/express: 服务等级为特快，而非标准" in _section(text, 'id="exclusions"', "</details>")  # noqa: RUF001
