"""OrderInput takes what the order columns hold and the shared limits allow, as the portal's
order form does (apps/portal/tests/test_input_limits.py checks the form against the same)."""

import pytest

from apps.erp_api.serializers import AddressInput, ItemInput, OrderInput, ParcelInput
from apps.orders.models import Item, Order
from apps.orders.tests.factories import order_payload
from apps.shipping import limits
from apps.shipping.limits import ADDRESS_FIELDS


def test_the_serializers_have_the_limits_of_the_columns_and_of_the_shared_limits():
    address, item, parcel, order = AddressInput().fields, ItemInput().fields, ParcelInput().fields, OrderInput().fields
    for name in ADDRESS_FIELDS:
        assert address[name].max_length == Order._meta.get_field(f"recipient_{name}").max_length, name
    assert order["reference"].max_length == Order._meta.get_field("reference").max_length
    assert order["parcels"].max_length == limits.PARCELS_PER_ORDER_MAX
    for name, maximum in limits.PARCEL_MAX.items():
        assert (parcel[name].min_value, parcel[name].max_value) == (1, maximum), name
    for name in limits.ITEM_TEXT_FIELDS:
        assert item[name].max_length == Item._meta.get_field(name).max_length, name
    assert item["quantity"].max_value == limits.QUANTITY_MAX
    unit_value = Item._meta.get_field("unit_value")
    assert (item["unit_value"].max_digits, item["unit_value"].decimal_places) == (
        unit_value.max_digits,
        unit_value.decimal_places,
    )


def test_control_characters_in_any_text_field_are_refused_with_the_field_named(api_client, merchant):
    payload = order_payload()
    payload["recipient"]["city"] = "Ber\x00lin"
    payload["parcels"][0]["items"][0]["description"] = "T-\x1bshirt"

    response = api_client.post("/api/v1/orders/", payload, format="json")

    assert response.status_code == 400
    fields = response.json()["extra"]["fields"]
    assert any("recipient" in path and "city" in path for path in fields), fields
    assert any("description" in path for path in fields), fields
    assert not Order.objects.filter(merchant=merchant).exists()


@pytest.mark.parametrize(
    ("name", "value"),
    [("destination_country", "DEU"), ("reference", "R\x00"), ("q", "Anna\x1b"), ("carrier", "c" * 51)],
)
def test_a_filter_that_could_never_match_is_a_400_naming_it(api_client, name, value):
    response = api_client.get("/api/v1/orders/", {name: value})

    assert response.status_code == 400
    assert name in response.json()["extra"]["fields"]
