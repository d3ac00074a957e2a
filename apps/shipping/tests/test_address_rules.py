"""Address rules per country (Google's address data), one check for every channel."""

import pytest

from apps.orders.models import Order
from apps.orders.tests.factories import address_draft, order_draft, order_payload, sender_draft
from apps.shipping.addresses import address_check
from apps.shipping.exceptions import InvalidOrder
from apps.shipping.services import order_submit


def _fields(draft) -> dict:
    with pytest.raises(InvalidOrder) as refused:
        order_submit(merchant_id=draft[0].pk, draft=draft[1], actor="test", channel="api")
    return refused.value.extra["fields"]


def test_a_chinese_sender_needs_its_province(merchant, cn_de_service):
    fields = _fields((merchant, order_draft(sender=sender_draft(state=""))))

    assert fields == {"sender.state": ["An address in China needs its province."]}
    assert not Order.objects.exists()


def test_a_us_recipient_needs_a_state_that_exists(merchant, cn_de_service):
    us = address_draft(city="Mountain View", postal_code="94043", country="US")

    assert _fields((merchant, order_draft(recipient=us))) == {
        "recipient.state": ["An address in United States needs its state."]
    }
    assert (
        "is not a state of United States"
        in _fields(
            (
                merchant,
                order_draft(recipient=address_draft(city="X", postal_code="94043", country="US", state="Nowhere")),
            )
        )["recipient.state"][0]
    )


def test_postcodes_have_the_countrys_format():
    _, errors = address_check(address_draft(postal_code="1011"))

    assert errors == {"postal_code": ["'1011' is not a valid DE postcode (for example 26133)."]}
    assert address_check(address_draft(country="GB", city="London", postal_code="sw1a 1aa"))[1] == {}


def test_a_country_without_postcodes_needs_none():
    normalized, errors = address_check(address_draft(country="HK", city="Hong Kong", state="Kowloon", postal_code=""))

    assert errors == {} and normalized["country"] == "HK"


def test_the_normalised_form_is_kept_beside_what_was_typed(merchant, cn_de_service):
    order = order_submit(
        merchant_id=merchant.pk,
        draft=order_draft(sender=sender_draft(state="guangdong", city="Shenzhen")),
        actor="test",
        channel="api",
    )

    row = Order.objects.get(pk=order.pk)
    assert (row.sender_state, row.sender_city) == ("guangdong", "Shenzhen")  # as typed
    assert row.sender_normalized["state"] == "广东省" and row.sender_normalized["state_latin"] == "Guangdong Sheng"
    assert row.sender_normalized["city"] == "深圳市"
    assert row.recipient_normalized["city"] == "BERLIN" and row.recipient_normalized["postal_code"] == "10115"


def test_a_city_missing_from_the_countrys_list_is_still_a_city():
    normalized, errors = address_check(sender_draft(state="Zhejiang", city="Yiwu", postal_code="322000"))

    assert errors == {} and normalized["state"] == "浙江省" and normalized["city"] == "Yiwu"


def test_the_api_refuses_a_province_less_chinese_sender_naming_the_field(api_client, cn_de_service):
    payload = order_payload()
    payload["sender"].pop("state")

    response = api_client.post("/api/v1/orders/", payload, format="json")

    assert response.status_code == 400
    assert response.json()["extra"]["fields"]["sender.state"] == ["An address in China needs its province."]
