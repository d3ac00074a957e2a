"""Fewer clicks, at request level: saved sender addresses, the product catalogue, carrier
preferences, "ship again", and the quotes beside the form with the cheapest and fastest marked."""

import re
from decimal import Decimal

import pytest

from apps.orders.models import Order
from apps.orders.tests.factories import sender_draft
from apps.portal.tests.test_portal import FORM
from apps.portal.tests.test_quotes import _section, _service
from apps.resources.selectors import merchant_preferences
from apps.shipping.models import Product, SenderAddress
from apps.shipping.saved import product_save, sender_address_save

SENDER = {
    "label": "Shenzhen office",
    "sender_name": "Shenzhen Gadgets",
    "sender_line1": "1 Keji Rd",
    "sender_city": "Shenzhen",
    "sender_state": "Guangdong",
    "sender_postal_code": "518000",
    "sender_country": "CN",
}
ONE_LINE = {
    "items-TOTAL_FORMS": "2",
    "items-INITIAL_FORMS": "0",
    "items-MIN_NUM_FORMS": "1",
    "items-MAX_NUM_FORMS": "1000",
}


@pytest.fixture
def services(db):
    _service("pricey-post", base="20.00", days=(1, 2))  # 24.00 for the 1.2 kg parcel, the fastest
    _service("cheap-post", base="8.00")  # 12.00


@pytest.fixture
def portal(client, merchant_user):
    client.force_login(merchant_user)
    return client


@pytest.fixture
def earbuds(merchant):
    return product_save(
        merchant_id=merchant.pk,
        description="Wireless earbuds",
        description_zh="无线耳机",
        sku="SZG-EARBUDS",
        hs_code="851830",
        origin_country="cn",
        unit_value=Decimal("19.90"),
        currency="usd",
        weight_g=80,
    )


def test_a_sender_address_is_checked_by_the_countrys_rules_and_the_first_is_the_default(portal, merchant):
    refused = portal.post("/senders/", {**SENDER, "sender_state": ""})
    saved = portal.post("/senders/", SENDER)

    assert refused.status_code == 400
    assert "An address in China needs its province." in _section(
        refused.content.decode(), 'id="field-sender_state"', "</div>"
    )
    assert saved.status_code == 302
    sender = SenderAddress.objects.get(merchant_id=merchant.pk)
    assert sender.is_default and sender.normalized["state"] == "广东省"


def test_the_order_form_starts_with_the_default_sender(portal, merchant):
    sender_address_save(merchant_id=merchant.pk, address=sender_draft(), label="Office", is_default=False)
    home = sender_address_save(
        merchant_id=merchant.pk, address=sender_draft(name="Home Gadgets"), label="Home", is_default=True
    )

    page = portal.get("/orders/new/").content.decode()

    assert 'value="Home Gadgets"' in _section(page, 'id="field-sender_name"', "</div>")
    assert f'value="{home.pk}" selected' in page
    assert SenderAddress.objects.filter(merchant_id=merchant.pk, is_default=True).count() == 1


def test_use_fills_the_sender_with_the_saved_address_chosen_without_javascript(portal, merchant):
    other = sender_address_save(
        merchant_id=merchant.pk,
        address=sender_draft(name="Yiwu Depot", city="Yiwu", state="Zhejiang", postal_code="322000"),
        label="Yiwu",
        is_default=False,
    )

    page = portal.post("/orders/new/", {**FORM, "saved_sender": other.pk, "action": "sender"}).content.decode()

    assert 'value="Yiwu Depot"' in _section(page, 'id="field-sender_name"', "</div>")
    assert 'value="Anna Schmidt"' in page  # the rest of what was typed stays
    assert not Order.objects.exists()


def test_a_product_fills_a_customs_line(portal, merchant, services, earbuds):
    lines = {
        **ONE_LINE,
        "items-0-product": earbuds.pk,
        "items-0-quantity": "3",
        "items-1-product": earbuds.pk,
        "items-1-description": "Earbuds, boxed",
    }
    form = {k: v for k, v in FORM.items() if not k.startswith("items-")} | lines

    response = portal.post("/orders/new/", {**form, "action": "submit"})

    assert response.status_code == 302
    items = list(Order.objects.get(merchant=merchant).parcels.get().items.order_by("id"))
    assert [(i.description, i.quantity, i.hs_code, i.unit_value, i.sku) for i in items] == [
        ("Wireless earbuds", 3, "851830", Decimal("19.90"), "SZG-EARBUDS"),
        ("Earbuds, boxed", 1, "851830", Decimal("19.90"), "SZG-EARBUDS"),  # what is typed wins
    ]


def test_a_product_with_a_bad_hs_code_is_refused_beside_it(portal, merchant):
    response = portal.post(
        "/products/",
        {"description": "Mug", "hs_code": "12", "origin_country": "CN", "unit_value": "3", "currency": "USD"},
    )

    assert response.status_code == 400
    assert "Customs needs an HS code" in _section(response.content.decode(), 'id="field-hs_code"', "</div>")
    assert not Product.objects.exists()


def test_ship_again_fills_the_form_from_an_earlier_order(portal, merchant, services):
    portal.post("/orders/new/", {**FORM, "action": "submit"})
    order = Order.objects.get(merchant=merchant)

    detail = portal.get(f"/orders/{order.number}/").content.decode()
    page = portal.get(f"/orders/new/?again={order.number}").content.decode()

    assert f'href="/orders/new/?again={order.number}"' in detail
    assert 'value="Anna Schmidt"' in _section(page, 'id="field-recipient_name"', "</div>")
    assert 'value="T-shirt"' in _section(page, 'id="item-0"', 'id="item-1"')
    assert 'value="1200"' in _section(page, 'id="field-parcels-0-weight_g"', "</div>")
    assert 'value="P-1"' not in page  # a new order needs its own reference


def test_quotes_mark_the_cheapest_and_the_fastest_and_say_what_the_score_weighs(portal, services):
    page = portal.post("/orders/new/", {**FORM, "action": "quote"}).content.decode()

    assert "Cheapest" in _section(page, 'id="quote-0"', "</tr>")  # cheap-post
    assert "Fastest" in _section(page, 'id="quote-1"', "</tr>")  # pricey-post, 1 to 2 days
    assert "Score: the cheapest price divided by this one" in page
    # The quotes come before the items on the page's source order only in the aside beside them.
    assert page.index('id="quotes"') > page.index('class="order-side"')


def test_with_htmx_only_the_quotes_are_redrawn(portal, services):
    response = portal.post("/orders/new/", {**FORM, "action": "quote"}, headers={"HX-Request": "true"})

    text = response.content.decode()
    assert response.status_code == 200 and text.lstrip().startswith('<div id="quotes"')
    assert "<html" not in text and 'value="cheap-post/standard"' in text


def test_the_merchant_sees_and_changes_its_carrier_preferences(portal, merchant, services):
    page = portal.get("/preferences/").content.decode()
    saved = portal.post("/preferences/", {"default_strategy": "fastest", "preferred": ["pricey-post"]})
    both = portal.post(
        "/preferences/", {"default_strategy": "cheapest", "preferred": ["cheap-post"], "blocked": ["cheap-post"]}
    )

    assert 'value="pricey-post"' in page
    assert saved.status_code == 302
    prefs = merchant_preferences(merchant_id=merchant.pk)
    assert (prefs.default_strategy, prefs.preferred_carriers) == ("fastest", frozenset({"pricey-post"}))
    assert both.status_code == 400 and "both preferred and blocked" in both.content.decode()
    quote = portal.post("/orders/new/", {**FORM, "action": "quote"}).content.decode()
    assert re.search(r"best first \(by fastest\)", quote)


def test_choosing_a_product_shows_the_line_filled_in_and_its_own_currency_wins_over_the_default(portal, merchant):
    mug = product_save(
        merchant_id=merchant.pk,
        description="Mug",
        hs_code="691200",
        origin_country="PT",
        unit_value=Decimal("6.00"),
        currency="EUR",
    )
    lines = {**ONE_LINE, "items-0-product": mug.pk, "items-0-currency": "USD", "items-0-origin_country": "CN"}
    form = {k: v for k, v in FORM.items() if not k.startswith("items-")} | lines

    page = portal.post("/orders/new/", {**form, "action": "product"}, headers={"HX-Request": "true"})

    line = _section(page.content.decode(), 'id="item-0"', 'id="item-1"')
    assert 'value="Mug"' in line and 'value="691200"' in line and 'value="EUR"' in line
    assert '<option value="PT" selected>' in line
    assert 'hx-select="#item-0"' in line  # with JavaScript only this line is redrawn
    assert not Order.objects.exists()


def test_an_order_from_stock_starts_with_the_default_sender_as_return_address(portal, merchant):
    from apps.warehouse.tests.stocked import stocked_warehouse

    stocked_warehouse(merchant_id=merchant.pk, stock={"TS-1": 5})
    sender_address_save(merchant_id=merchant.pk, address=sender_draft(), label="Office", is_default=True)

    page = portal.get("/stock/order/").content.decode()

    assert 'value="Guangdong"' in _section(page, 'id="field-sender_state"', "</div>")
