"""The portal's order form takes what the database and the API take, and no more: a value beyond
a limit is an error beside its field, never a 500."""

import pytest
from django import forms

from apps.orders.models import Item, Order
from apps.portal.forms import ITEM_LINES_MAX, ItemForm, ItemFormSet, OrderForm, ParcelForm, ParcelFormSet
from apps.portal.tests.test_portal import FORM
from apps.shipping import limits
from apps.shipping.limits import ADDRESS_FIELDS


@pytest.fixture
def portal(client, merchant_user):
    client.force_login(merchant_user)
    return client


def _field_html(response, field_id: str) -> str:
    text = response.content.decode()
    field = text[text.index(f'id="{field_id}"') :]
    return field[: field.index("</div>")]


def _item_html(response, index: int) -> str:
    text = response.content.decode()
    row = text[text.index(f'id="item-{index}"') :]
    end = row.find(f'id="item-{index + 1}"')
    return row[: end if end != -1 else row.index("</fieldset>")]


@pytest.mark.parametrize("name", ["recipient_city", "recipient_state", "sender_city", "sender_state"])
def test_a_city_or_state_longer_than_its_column_is_an_error_beside_the_field(portal, merchant, cn_de_service, name):
    response = portal.post("/orders/new/", {**FORM, name: "B" * 150})

    assert response.status_code == 400
    assert "at most 100 characters" in _field_html(response, f"field-{name}")
    assert not Order.objects.filter(merchant=merchant).exists()


def test_a_quantity_beyond_the_api_limit_is_an_error_beside_the_item(portal, merchant, cn_de_service):
    response = portal.post("/orders/new/", {**FORM, "items-0-quantity": "3000000000"})

    assert response.status_code == 400
    assert f"less than or equal to {limits.QUANTITY_MAX}" in _item_html(response, 0)
    assert not Order.objects.filter(merchant=merchant).exists()


def test_a_weight_beyond_the_api_limit_is_an_error_beside_the_field(portal, merchant, cn_de_service):
    response = portal.post("/orders/new/", {**FORM, "parcels-0-weight_g": "3000000000"})

    assert response.status_code == 400
    assert "less than or equal to 1000000" in _field_html(response, "field-parcels-0-weight_g")


@pytest.mark.parametrize("typed", ["Anna\x00Schmidt", "Anna\x01", "Anna\nSchmidt", "Anna\x85Schmidt", "Anna\x7f"])
def test_control_characters_are_an_error_beside_the_field(portal, merchant, cn_de_service, typed):
    response = portal.post("/orders/new/", {**FORM, "recipient_name": typed, "items-0-description": typed})

    assert response.status_code == 400
    assert "not allowed" in _field_html(response, "field-recipient_name")
    assert "not allowed" in _item_html(response, 0)
    assert not Order.objects.filter(merchant=merchant).exists()


def _longest(field) -> int:
    """The longest value the field takes: its max_length, or its longest choice (countries)."""
    if isinstance(field, forms.ChoiceField):
        return max(len(str(value)) for value, _ in field.choices)
    return field.max_length


def test_the_form_has_the_limits_of_the_columns_and_of_the_shared_limits():
    order_form, item_form, parcel_form = OrderForm(), ItemForm(), ParcelForm()
    for name in ADDRESS_FIELDS:
        column = Order._meta.get_field(f"recipient_{name}").max_length
        for field in (order_form.fields[f"recipient_{name}"], order_form.fields[f"sender_{name}"]):
            assert _longest(field) == column, name
    assert order_form.fields["reference"].max_length == Order._meta.get_field("reference").max_length
    for name, maximum in limits.PARCEL_MAX.items():
        assert (parcel_form.fields[name].min_value, parcel_form.fields[name].max_value) == (1, maximum), name
    assert (ParcelFormSet.max_num, ParcelFormSet.absolute_max) == (limits.PARCELS_PER_ORDER_MAX,) * 2
    assert ItemFormSet.max_num == ITEM_LINES_MAX == limits.ITEMS_PER_PARCEL_MAX * limits.PARCELS_PER_ORDER_MAX
    for name in limits.ITEM_TEXT_FIELDS:
        assert _longest(item_form.fields[name]) == Item._meta.get_field(name).max_length, name
    assert item_form.fields["quantity"].max_value == limits.QUANTITY_MAX
    unit_value = Item._meta.get_field("unit_value")
    assert (item_form.fields["unit_value"].max_digits, item_form.fields["unit_value"].decimal_places) == (
        unit_value.max_digits,
        unit_value.decimal_places,
    )


def _filter_html(response, name: str) -> str:
    text = response.content.decode()
    label = text[text.index(f'id="filter-{name}"') :]
    return label[: label.index("</label>")]


def test_every_order_list_filter_has_a_readable_label(portal):
    text = portal.get("/orders/").content.decode()

    assert "[invalid name]" not in text
    assert "Created after" in _filter_html(portal.get("/orders/"), "created_after")
    assert "Created before" in _filter_html(portal.get("/orders/"), "created_before")


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("created_after", "2024-13-45", "Enter a valid date/time."),
        ("created_before", "yesterday", "Enter a valid date/time."),
        ("reference", "R\x00", "Null characters are not allowed."),
        ("tracking_number", "T" * 65, "at most 64 characters"),
        ("q", "Anna\x1b", "not allowed"),
        ("state", "lost", "Select a valid choice."),
        ("archived", "maybe", "Give true or false."),
    ],
)
def test_a_bad_filter_is_an_error_beside_it_not_an_empty_list(portal, merchant, cn_de_service, name, value, message):
    portal.post("/orders/new/", FORM)

    response = portal.get("/orders/", {name: value})

    assert response.status_code == 400
    assert message in _filter_html(response, name)
    assert "no orders were searched" in response.content.decode()


def test_an_export_with_a_bad_filter_is_refused_on_the_list_page(portal, merchant, cn_de_service):
    portal.post("/orders/new/", FORM)

    response = portal.get("/orders/export.csv", {"created_after": "not a date"})

    assert response.status_code == 400 and response["Content-Type"].startswith("text/html")
    assert "Enter a valid date/time." in _filter_html(response, "created_after")


def test_a_paging_cursor_that_is_no_plain_number_is_ignored(portal, merchant, cn_de_service):
    portal.post("/orders/new/", FORM)

    for before in ("²", "1" * 40, "-1"):
        response = portal.get("/orders/", {"before": before})
        assert response.status_code == 200, before


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"tracking_number": "SBX\x00123"}, "tracking_number", "Null characters are not allowed."),
        ({"tracking_number": "S" * 65}, "tracking_number", "at most 64 characters"),
        ({"order_number": "AB\x07", "postal_code": "10115"}, "order_number", "not allowed"),
        ({"order_number": "AB", "postal_code": "1" * 21}, "postal_code", "at most 20 characters"),
    ],
)
def test_the_public_tracking_page_answers_bad_input_beside_the_field(client, db, params, field, message):
    response = client.get("/track/", params, REMOTE_ADDR="10.9.9.3")

    text = response.content.decode()
    label = text[text.index(f'id="track-{field}"') :]
    assert response.status_code == 400
    assert message in label[: label.index("</label>")]
