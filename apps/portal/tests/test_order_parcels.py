"""An order of several parcels and many lines from the portal, without JavaScript: "Add a parcel"
and "Add lines" post the form back drawn with more, what was typed kept; each line says which
parcel it goes in; a problem with a line of the second parcel shows beside that line; "Ship
again" brings every parcel back with its lines."""

import re

import pytest

from apps.orders.models import Order
from apps.portal.tests.test_portal import FORM
from apps.shipping import limits


@pytest.fixture
def portal(client, merchant_user):
    client.force_login(merchant_user)
    return client


SECOND_PARCEL = {
    "parcels-1-weight_g": "800",
    "parcels-1-length_mm": "250",
    "parcels-1-width_mm": "150",
    "parcels-1-height_mm": "80",
}


def _line(index: int, description: str, parcel: int, **changes) -> dict:
    line = {
        "description": description,
        "quantity": "1",
        "unit_value": "10.00",
        "currency": "USD",
        "hs_code": "610910",
        "origin_country": "CN",
        "parcel": str(parcel),
    } | changes
    return {f"items-{index}-{name}": value for name, value in line.items()}


def _two_parcels(*lines: dict) -> dict:
    items = {k: v for k, v in FORM.items() if not k.startswith("items-")}
    merged = {k: v for line in lines for k, v in line.items()}
    counts = {"parcels-TOTAL_FORMS": "2", "items-TOTAL_FORMS": str(len(lines)), "items-INITIAL_FORMS": "0"}
    return items | SECOND_PARCEL | merged | counts


def _section(page: str, start: str, end: str) -> str:
    at = page.index(start)
    return page[at : page.index(end, at + len(start))]


def test_add_a_parcel_draws_the_form_again_with_a_second_parcel_and_keeps_what_was_typed(portal, merchant):
    response = portal.post("/orders/new/", {**FORM, "action": "add_parcel"})

    page = response.content.decode()
    assert response.status_code == 200
    assert 'name="parcels-TOTAL_FORMS" value="2"' in page
    assert 'value="1200"' in _section(page, 'id="parcel-0"', 'id="parcel-1"')
    assert 'name="parcels-1-weight_g"' in page and "Parcel 2" in page
    assert '<select name="items-0-parcel"' in page  # with two parcels each line says which
    assert 'value="Anna Schmidt"' in page
    assert "This field is required" not in page  # a redraw is not a submit: the new parcel is not an error yet
    assert not Order.objects.exists()


def test_remove_the_last_parcel_never_goes_below_one(portal):
    two = portal.post("/orders/new/", _two_parcels(_line(0, "Shirt", 1)) | {"action": "remove_parcel"})
    one = portal.post("/orders/new/", {**FORM, "action": "remove_parcel"})

    assert 'name="parcels-TOTAL_FORMS" value="1"' in two.content.decode()
    assert 'name="parcels-TOTAL_FORMS" value="1"' in one.content.decode()
    assert 'name="items-0-parcel"' not in one.content.decode()  # one parcel: nothing to choose


def test_add_lines_gives_three_more_and_an_order_of_twelve_lines_is_created(portal, merchant, cn_de_service):
    more = portal.post("/orders/new/", {**FORM, "action": "add_lines"}).content.decode()
    form = {k: v for k, v in FORM.items() if not k.startswith("items-")}
    lines = {k: v for n in range(12) for k, v in _line(n, f"Sock pair {n}", 1).items() if not k.endswith("-parcel")}

    response = portal.post("/orders/new/", form | lines | {"items-TOTAL_FORMS": "12", "items-INITIAL_FORMS": "0"})

    assert 'name="items-TOTAL_FORMS" value="4"' in more and 'id="item-3"' in more
    assert response.status_code == 302
    order = Order.objects.get(merchant=merchant)
    assert order.parcels.get().items.count() == 12


def test_an_order_of_two_parcels_puts_each_line_in_the_parcel_it_names(portal, merchant, cn_de_service):
    data = _two_parcels(_line(0, "Shirt", 1), _line(1, "Mug", 2), _line(2, "Cap", 2))

    response = portal.post("/orders/new/", data)

    assert response.status_code == 302
    order = Order.objects.get(merchant=merchant)
    parcels = list(order.parcels.order_by("id"))
    assert [p.weight_g for p in parcels] == [1200, 800]
    assert [sorted(i.description for i in p.items.all()) for p in parcels] == [["Shirt"], ["Cap", "Mug"]]


def test_a_problem_with_a_line_of_the_second_parcel_is_shown_beside_that_line(portal, merchant, cn_de_service):
    data = _two_parcels(_line(0, "Shirt", 1), _line(1, "Mug", 2), _line(2, "Cap", 2, hs_code=""))

    response = portal.post("/orders/new/", data)

    page = response.content.decode()
    assert response.status_code == 400
    assert "Customs needs an HS code" in _section(page, 'id="item-2"', "</fieldset>")
    assert "Customs needs an HS code" not in _section(page, 'id="item-0"', 'id="item-2"')
    assert not Order.objects.exists()


def test_a_parcel_added_and_left_blank_is_an_error_beside_it_not_dropped(portal, merchant, cn_de_service):
    data = {**FORM, "parcels-TOTAL_FORMS": "2"}

    response = portal.post("/orders/new/", data)

    assert response.status_code == 400
    assert "This field is required" in _section(response.content.decode(), 'id="parcel-1"', "</fieldset>")
    assert not Order.objects.exists()


def test_more_parcels_than_the_api_takes_are_refused_with_a_message(portal, merchant, cn_de_service):
    data = {**FORM, "parcels-TOTAL_FORMS": str(limits.PARCELS_PER_ORDER_MAX + 1)}

    response = portal.post("/orders/new/", data)

    assert response.status_code == 400
    assert f"Please submit at most {limits.PARCELS_PER_ORDER_MAX} forms" in response.content.decode()


def test_ship_again_brings_back_every_parcel_with_its_lines(portal, merchant, cn_de_service):
    portal.post("/orders/new/", _two_parcels(_line(0, "Shirt", 1), _line(1, "Mug", 2)))
    order = Order.objects.get(merchant=merchant)

    page = portal.get(f"/orders/new/?again={order.number}").content.decode()

    assert 'name="parcels-TOTAL_FORMS" value="2"' in page
    assert 'value="800"' in _section(page, 'id="parcel-1"', "</fieldset>")
    mug = _section(page, 'id="item-1"', 'id="item-2"')
    assert 'value="Mug"' in mug
    assert re.search(r'<option value="2" selected>2</option>', mug)
