"""No input crashes a page: every portal form and filter, and the public tracking page, is posted
generated values (long, huge, negative, non-Latin, control characters, empty) through the test
client. None may answer 5xx (the client re-raises a view's exception, so a crash fails too), and
a filter given a value it cannot apply must say so beside the field instead of listing nothing."""

import uuid
from datetime import timedelta
from decimal import Decimal
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils.dateparse import parse_datetime
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.batches.services import label_batch_create
from apps.common.text import has_control_characters
from apps.merchants.services import api_key_issue
from apps.merchants.team import invitation_create
from apps.merchants.tests.factories import MembershipFactory
from apps.orders.filters import OrderFilter
from apps.orders.models import OrderState
from apps.orders.tests.factories import order_draft, sender_draft
from apps.portal.tests.test_portal import FORM
from apps.portal.tests.test_stock import stock_order
from apps.shipping.saved import product_save, sender_address_list, sender_address_save
from apps.shipping.services import order_submit
from apps.warehouse.tests.stocked import stocked_warehouse
from apps.webhooks.services import endpoint_create

PROPERTY = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

CONTROL = st.characters(categories=["Cc"])
ANY_TEXT = st.characters(codec="utf-8")  # every code point the client can send (no lone surrogates)
NON_LATIN = st.characters(min_codepoint=0x0400, max_codepoint=0x9FFF, categories=["L"])
NASTY = st.one_of(
    st.just(""),
    st.just("   "),
    st.text(ANY_TEXT, max_size=12),
    st.text(CONTROL, min_size=1, max_size=4),
    st.tuples(st.text(ANY_TEXT, max_size=5), st.text(CONTROL, min_size=1, max_size=2)).map("x".join),
    st.text(NON_LATIN, min_size=1, max_size=260),
    st.integers(min_value=60, max_value=3000).map(lambda n: "x" * n),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(["0", "-1", "3000000000", "1e309", "NaN", "-0.01", "99999999999999.99", "0x10", "١٢٣"]),
)


@pytest.fixture
def portal(client, merchant_user):
    client.force_login(merchant_user)
    return client


ORDER_FIELDS = sorted(
    set(FORM)
    | {"route", "strategy", "items-0-sku", "recipient_state", "sender_phone", "saved_sender", "items-0-product"}
    | {"items-0-parcel", "parcels-1-weight_g"}
)


# Half the examples of the others: each draws the whole form (some 250 countries in each of six
# lists) and often routes it, about a second apiece.
@settings(PROPERTY, max_examples=20)
@given(
    changes=st.dictionaries(st.sampled_from(ORDER_FIELDS), NASTY, min_size=1, max_size=4),
    action=st.sampled_from(["submit", "quote", "sender", "add_parcel", "remove_parcel", "add_lines"]),
    htmx=st.booleans(),
)
def test_the_order_form_and_its_quotes_never_crash(portal, merchant, cn_de_service, changes, action, htmx):
    saved_for_the_form(merchant)
    data = {**FORM, "reference": "", **changes, "action": action}

    response = portal.post("/orders/new/", data, headers={"HX-Request": "true"} if htmx else {})

    assert response.status_code in (200, 302, 400)


def saved_for_the_form(merchant) -> None:
    """A saved sender address and product, so that the form offers them (once per merchant)."""
    if not sender_address_list(merchant_id=merchant.pk).exists():
        sender_address_save(merchant_id=merchant.pk, address=sender_draft(), label="Office", is_default=True)
        product_save(
            merchant_id=merchant.pk,
            description="Cap",
            hs_code="650500",
            origin_country="CN",
            unit_value=Decimal("8"),
            currency="USD",
        )


SENDER_FIELDS = [
    "label",
    "is_default",
    *(f"sender_{name}" for name in ("name", "company", "line1", "line2", "city", "state", "postal_code")),
    *(f"sender_{name}" for name in ("country", "phone", "email")),
]
SENDER = {
    "label": "Office",
    "sender_name": "Shenzhen Gadgets",
    "sender_line1": "1 Keji Rd",
    "sender_city": "Shenzhen",
    "sender_state": "Guangdong",
    "sender_postal_code": "518000",
    "sender_country": "CN",
}


@PROPERTY
@given(changes=st.dictionaries(st.sampled_from(SENDER_FIELDS), NASTY, min_size=1, max_size=4))
def test_the_sender_address_form_never_crashes(portal, changes):
    response = portal.post("/senders/", {**SENDER, **changes})

    assert response.status_code in (302, 400)


PRODUCT = {
    "description": "Cap",
    "description_zh": "帽子",
    "sku": "CAP-1",
    "hs_code": "650500",
    "origin_country": "CN",
    "unit_value": "8.00",
    "currency": "USD",
    "weight_g": "120",
}


@PROPERTY
@given(changes=st.dictionaries(st.sampled_from(sorted(PRODUCT)), NASTY, min_size=1, max_size=4))
def test_the_product_form_never_crashes(portal, changes):
    response = portal.post("/products/", {**PRODUCT, **changes})

    assert response.status_code in (302, 400)


@PROPERTY
@given(
    strategy=NASTY,
    preferred=st.lists(st.one_of(st.just("test-post"), NASTY), max_size=3),
    blocked=st.lists(st.one_of(st.just("test-post"), NASTY), max_size=3),
)
def test_the_carrier_preferences_form_never_crashes(portal, cn_de_service, strategy, preferred, blocked):
    response = portal.post("/preferences/", {"default_strategy": strategy, "preferred": preferred, "blocked": blocked})

    assert response.status_code in (302, 400)


@PROPERTY
@given(again=NASTY, number=NASTY, saved_id=NASTY)
def test_ship_again_the_label_status_and_the_saved_items_buttons_never_crash(
    portal, merchant, cn_de_service, again, number, saved_id
):
    assert portal.get("/orders/new/", {"again": again}).status_code == 200
    if number.strip() and "/" not in number and not has_control_characters(number):
        assert portal.get(f"/orders/{quote(number)}/label/").status_code in (200, 404)
    if saved_id.isascii() and saved_id.isdigit() and len(saved_id) < 10:
        for path in (f"/senders/{saved_id}/default/", f"/senders/{saved_id}/delete/", f"/products/{saved_id}/delete/"):
            assert portal.post(path).status_code in (302, 404)


def _text_filter_is_bad(name: str, value: str) -> bool:
    value = value.strip()
    return len(value) > OrderFilter.base_filters[name].extra["max_length"] or has_control_characters(value)


def _date_filter_is_bad(value: str) -> bool:
    if value == "":  # not given; blanks are no date
        return False
    try:
        return parse_datetime(value.strip()) is None
    except ValueError:
        return True


CHOICES = {
    "state": {s.value for s in OrderState},
    "service_level": {"express", "standard", "economy"},
    "archived": {"true", "false", "True", "False", "1", "0", "unknown"},
}


def _is_bad(name: str, value: str) -> bool:
    """Whether the filter cannot be applied to `value`, judged apart from the filter set."""
    if name == "state":  # a multiple choice: each value given must be a state, "" too
        return value not in CHOICES[name]
    if name in CHOICES:
        return value != "" and value not in CHOICES[name]
    if name.startswith("created_"):
        return _date_filter_is_bad(value)
    return _text_filter_is_bad(name, value)


FILTERS = [
    "state",
    "reference",
    "tracking_number",
    "destination_country",
    "carrier",
    "service_level",
    "created_after",
    "created_before",
    "q",
    "archived",
]
FILTER_VALUES = st.one_of(
    NASTY,
    st.sampled_from([*CHOICES["state"], "express", "true", "false", "DE", "de"]),
    st.datetimes().map(lambda moment: moment.isoformat()),
    st.tuples(st.datetimes(), st.integers(min_value=-30 * 60, max_value=30 * 60)).map(
        lambda pair: pair[0].isoformat() + ("+" if pair[1] >= 0 else "-") + str(timedelta(minutes=abs(pair[1])))[:-3]
    ),
)


def _filter_label(text: str, name: str) -> str:
    label = text[text.index(f'id="filter-{name}"') :]
    return label[: label.index("</label>")]


@PROPERTY
@given(
    params=st.dictionaries(st.sampled_from([*FILTERS, "before"]), FILTER_VALUES, min_size=1, max_size=3),
    export=st.booleans(),
)
def test_the_order_list_filters_never_crash_and_never_hide_a_bad_value(portal, cn_de_service, params, export):
    response = portal.get("/orders/export.csv" if export else "/orders/", params)

    bad = [name for name, value in params.items() if name != "before" and _is_bad(name, value)]
    if bad:
        assert response.status_code == 400, (bad, params)
        text = response.content.decode()
        for name in bad:
            assert 'class="errorlist' in _filter_label(text, name), (name, params)
        assert "no orders were searched" in text
    else:
        assert response.status_code == 200, params


@PROPERTY
@given(
    name=NASTY,
    scopes=st.lists(st.one_of(st.sampled_from(["orders:read", "rates", "webhooks"]), NASTY), max_size=3),
    expires_in_days=NASTY,
)
def test_the_api_key_form_never_crashes(portal, name, scopes, expires_in_days):
    response = portal.post("/api-keys/new/", {"name": name, "scopes": scopes, "expires_in_days": expires_in_days})

    assert response.status_code in (201, 400)
    if response.status_code == 201:
        assert not has_control_characters(name.strip()) and 0 < len(name.strip()) <= 100


@PROPERTY
@given(
    url=st.one_of(NASTY, st.text(ANY_TEXT, max_size=30).map(lambda path: f"http://127.0.0.1:9/{path}")),
    description=NASTY,
    event_types=st.lists(st.one_of(st.sampled_from(["order.accepted"]), NASTY), max_size=3),
)
def test_the_webhook_form_never_crashes(portal, url, description, event_types):
    response = portal.post(
        "/webhook-endpoints/new/", {"url": url, "description": description, "event_types": event_types}
    )

    assert response.status_code in (201, 400)


@PROPERTY
@given(overlap_hours=NASTY)
def test_the_rotate_forms_never_crash(portal, merchant, overlap_hours):
    key, _ = api_key_issue(merchant=merchant, name="rotate me")
    endpoint, _ = endpoint_create(
        merchant_id=merchant.pk, url="http://127.0.0.1:9/hook", description="", event_types=["order.accepted"]
    )

    for path in (f"/api-keys/{key.pk}/rotate/", f"/webhook-endpoints/{endpoint.pk}/rotate/"):
        assert portal.post(path, {"overlap_hours": overlap_hours}).status_code in (201, 302)


@PROPERTY
@given(reason=NASTY, version=NASTY)
def test_the_cancel_form_never_crashes(portal, merchant, cn_de_service, reason, version):
    order = order_submit(merchant_id=merchant.pk, draft=order_draft(), actor="t", channel="api")

    response = portal.post(f"/orders/{order.number}/cancel/", {"reason": reason, "version": version})

    assert response.status_code in (302, 400)


@PROPERTY
@given(username=NASTY, password=NASTY)
def test_the_login_form_never_crashes(client, merchant_user, username, password):
    response = client.post("/login/", {"username": username, "password": password})

    assert response.status_code in (200, 302, 400, 429)


@PROPERTY
@given(params=st.dictionaries(st.sampled_from(["tracking_number", "order_number", "postal_code"]), NASTY, min_size=1))
def test_the_public_tracking_page_never_crashes(client, db, params):
    response = client.get("/track/", params, REMOTE_ADDR="10.9.9.4")

    limits = {"tracking_number": 64, "order_number": 32, "postal_code": 20}
    bad = [n for n, v in params.items() if len(v.strip()) > limits[n] or has_control_characters(v.strip())]
    if bad:
        assert response.status_code == 400, params
    else:
        assert response.status_code in (200, 404, 429)


STOCK_ORDER_FIELDS = sorted(set(stock_order()) - {"lines-MIN_NUM_FORMS", "lines-MAX_NUM_FORMS"})


@PROPERTY
@given(changes=st.dictionaries(st.sampled_from(STOCK_ORDER_FIELDS), NASTY, min_size=1, max_size=4))
def test_the_order_from_stock_form_never_crashes(portal, merchant, cn_de_service, changes):
    stocked_warehouse(merchant_id=merchant.pk, stock={"TS-1": 5})
    data = {**stock_order(reference=""), **changes}

    response = portal.post("/stock/order/", data)

    assert response.status_code in (302, 400)


ASN_FIELDS = ["warehouse", "expected_at", "lines-TOTAL_FORMS", "lines-INITIAL_FORMS", "lines-0-sku", "lines-0-quantity"]


@PROPERTY
@given(
    changes=st.dictionaries(
        st.sampled_from(ASN_FIELDS), st.one_of(NASTY, st.dates().map(str), st.just("sz-1")), min_size=1, max_size=4
    )
)
def test_the_inbound_shipment_form_never_crashes(portal, merchant, cn_de_service, changes):
    stocked_warehouse(merchant_id=merchant.pk, stock={})
    data = {"warehouse": "sz-1", "lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "0"}
    data |= {"lines-0-sku": "TS-1", "lines-0-quantity": "3"} | changes

    response = portal.post("/inbound/new/", data)

    assert response.status_code in (302, 400)


@PROPERTY
@given(params=st.dictionaries(st.sampled_from(["warehouse", "sku"]), st.one_of(NASTY, st.just("sz-1")), min_size=1))
def test_the_stock_filters_never_crash(portal, merchant, cn_de_service, params):
    stocked_warehouse(merchant_id=merchant.pk, stock={"TS-1": 5})

    response = portal.get("/stock/", params)

    assert response.status_code in (200, 400)


@PROPERTY
@given(
    language=st.one_of(NASTY, st.sampled_from(["zh-hans", "de", "fr", "es", "en", "zh-Hans", "xx"])),
    next_url=st.one_of(NASTY, st.just("/track/"), st.just("https://evil.example/")),
    accept=st.one_of(NASTY, st.just("zh-CN,zh;q=0.9"), st.just("de;q=x, *;q=-1")),
)
def test_the_language_switcher_and_any_accept_language_never_crash(client, db, language, next_url, accept):
    response = client.post("/i18n/setlang/", {"language": language, "next": next_url})

    assert response.status_code in (204, 302)
    if response.status_code == 302:
        assert not response["Location"].startswith("https://evil.example")
    accept = "".join(ch for ch in accept if 0x20 <= ord(ch) < 0x7F)  # a header holds printable ASCII
    assert client.get("/track/", HTTP_ACCEPT_LANGUAGE=accept).status_code == 200
    assert client.get("/login/", HTTP_ACCEPT_LANGUAGE=accept).status_code == 200


IMPORT_CSV = (
    "Order #,Ship To - Name,Ship To - Address 1,Ship To - City,Ship To - Postal Code,Ship To - Country,"
    "Item Name,Item Quantity,Item Unit Price\r\nA-1,Anna,Hauptstr. 5,Berlin,10115,DE,Mug,1,5\r\n"
)
IMPORT_SETTINGS = {
    "sender_name": "Shenzhen Gadgets",
    "sender_line1": "1 Keji Rd",
    "sender_city": "Shenzhen",
    "sender_postal_code": "518000",
    "sender_country": "CN",
    "currency": "USD",
    "origin_country": "CN",
    "hs_code": "610910",
    "service_level": "standard",
    "weight_unit": "kg",
    "weight_g": "500",
    "length_mm": "200",
    "width_mm": "150",
    "height_mm": "100",
}
CELL = st.one_of(NASTY, st.sampled_from(["1.23457E+11", "2134", "德国", "0", "-5", "1e400", '"', "=1+1"]))


@PROPERTY
@given(params=st.dictionaries(st.text(ANY_TEXT, min_size=1, max_size=8), NASTY, max_size=3))
def test_the_dashboard_never_crashes_whatever_its_query_string(portal, merchant, params):
    response = portal.get("/dashboard/", params)

    assert response.status_code == 200  # it takes no parameters: the last 7 days are always shown


ORDER_IDS = st.one_of(NASTY, st.integers(min_value=0, max_value=2**64).map(str))


@PROPERTY
@given(
    cells=st.lists(st.lists(CELL, min_size=1, max_size=10), min_size=1, max_size=4),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16", "latin-1"]),
    name=NASTY,
)
def test_the_import_upload_and_check_never_crash_on_any_spreadsheet(portal, cn_de_service, cells, encoding, name):
    text = "\r\n".join(",".join(f'"{c}"' if "," in c else c for c in line) for line in cells)
    data = text.encode(encoding, errors="replace")

    response = portal.post("/imports/", {"file": SimpleUploadedFile(name[:200] or "x.csv", data)})

    assert response.status_code in (302, 400)
    if response.status_code == 302:
        job = response["Location"]
        checked = portal.post(f"{job}check/", {**IMPORT_SETTINGS, "map_recipient_name": cells[0][0]})
        assert checked.status_code in (302, 400, 409)
        assert portal.get(job).status_code == 200


@PROPERTY
@given(
    changes=st.dictionaries(st.sampled_from([*IMPORT_SETTINGS, "map_recipient_city", "map_weight"]), NASTY, max_size=4),
    mode=NASTY,
)
def test_the_import_mapping_and_start_forms_never_crash(portal, cn_de_service, changes, mode):
    location = portal.post("/imports/", {"file": SimpleUploadedFile("orders.csv", IMPORT_CSV.encode())})["Location"]
    mapping = {
        "map_reference": "Order #",
        "map_recipient_name": "Ship To - Name",
        "map_recipient_line1": "Ship To - Address 1",
        "map_recipient_city": "Ship To - City",
        "map_recipient_postal_code": "Ship To - Postal Code",
        "map_recipient_country": "Ship To - Country",
        "map_item_description": "Item Name",
        "map_item_quantity": "Item Quantity",
        "map_item_unit_value": "Item Unit Price",
    }

    checked = portal.post(f"{location}check/", {**mapping, **IMPORT_SETTINGS, **changes})
    started = portal.post(f"{location}start/", {"mode": mode})

    assert checked.status_code in (302, 400)
    assert started.status_code in (302, 400, 409)
    assert portal.get(f"{location}progress.json").status_code == 200
    assert portal.get(f"{location}errors.csv").status_code == 200


@PROPERTY
@given(
    orders=st.lists(ORDER_IDS, max_size=4),
    select_all=st.booleans(),
    params=st.dictionaries(st.sampled_from(FILTERS), FILTER_VALUES, max_size=2),
)
def test_the_batch_selection_never_crashes(portal, merchant, cn_de_service, orders, select_all, params):
    order = order_submit(merchant_id=merchant.pk, draft=order_draft(), actor="t", channel="api")
    query = {**params, "order": [*orders, str(order.id)][-4:]}
    if select_all:
        query["all"] = "1"

    response = portal.get("/batches/new/", query)

    assert response.status_code in (200, 400)


@PROPERTY
@given(
    content=st.one_of(st.binary(max_size=300), NASTY.map(str.encode)),
    name=st.one_of(NASTY, st.sampled_from(["logo.png", "logo.svg", "x.gif"])),
    remove=st.sampled_from(["", "on", "x"]),
)
def test_the_logo_form_never_crashes(portal, content, name, remove):
    data = {"remove": remove}
    if name.strip() and "\x00" not in name:
        data["logo"] = SimpleUploadedFile(name, content, content_type="image/png")

    response = portal.post("/settings/logo/", data)

    assert response.status_code in (302, 400)


@PROPERTY
@given(
    order_ids=st.one_of(NASTY, st.lists(st.one_of(ORDER_IDS, st.just("ORDER")), min_size=1, max_size=3).map(",".join)),
    service=st.one_of(NASTY, st.sampled_from(["", "test-post/standard", "nope/none", "/"])),
    idempotency_key=st.one_of(NASTY, st.uuids().map(str)),
)
def test_the_batch_form_never_crashes(portal, merchant, cn_de_service, order_ids, service, idempotency_key):
    order = order_submit(merchant_id=merchant.pk, draft=order_draft(), actor="t", channel="api")
    form = {"order_ids": order_ids.replace("ORDER", str(order.id)), "service": service}

    response = portal.post("/batches/new/", {**form, "idempotency_key": idempotency_key})

    assert response.status_code in (302, 400)


@PROPERTY
@given(paper=st.one_of(NASTY, st.sampled_from(["4x6", "a4-2", "a4-4"])), packing_slips=NASTY)
def test_the_batch_print_form_never_crashes(portal, merchant, merchant_user, cn_de_service, paper, packing_slips):
    order = order_submit(merchant_id=merchant.pk, draft=order_draft(), actor="t", channel="api")
    batch, _ = label_batch_create(
        merchant_id=merchant.pk,
        user=merchant_user,
        order_ids=[order.id],
        chosen_route=None,
        idempotency_key=uuid.uuid4(),
    )

    response = portal.get(f"/batches/{batch.pk}/labels.pdf", {"paper": paper, "packing_slips": packing_slips})

    assert response.status_code in (200, 302, 400)
    assert portal.get(f"/batches/{batch.pk}/").status_code == 200


ROLES = st.one_of(NASTY, st.sampled_from(["owner", "admin", "shipper", "developer", "viewer"]))


@PROPERTY
@given(email=st.one_of(NASTY, st.emails(), st.emails().map(lambda e: e + "\x00")), role=ROLES)
def test_the_team_invitation_form_never_crashes(portal, email, role):
    response = portal.post("/team/invite/", {"email": email, "role": role})

    assert response.status_code in (201, 400)


@PROPERTY
@given(role=ROLES)
def test_the_team_role_form_never_crashes(portal, merchant, role):
    member = MembershipFactory(merchant=merchant, role="viewer")

    assert portal.post(f"/team/members/{member.pk}/role/", {"role": role}).status_code == 302


@PROPERTY
@given(
    fields=st.dictionaries(st.sampled_from(["username", "password1", "password2", "action"]), NASTY, min_size=1),
    token=st.one_of(st.none(), NASTY.filter(lambda t: t.strip() and "/" not in t and "\x00" not in t)),
)
def test_the_invitation_accept_form_never_crashes(client, merchant_user, merchant, fields, token):
    if token is None:
        _invitation, token = invitation_create(
            merchant_id=merchant.pk, email="new@example.com", role="viewer", actor=merchant_user
        )
    response = client.post(f"/invitations/{quote(token, safe='')}/", fields)

    assert response.status_code in (302, 400, 404, 410)


@pytest.fixture
def half_logged_in(merchant_user):
    """A browser past the password step of an owner with an authenticator, not past the code."""
    browser = Client()
    assert (
        browser.post("/login/", {"username": merchant_user.username, "password": "secret-pass-123"}).status_code == 302
    )
    return browser


@PROPERTY
@given(code=NASTY)
def test_the_second_login_step_never_crashes(half_logged_in, code):
    response = half_logged_in.post("/login/verify/", {"code": code, "next": code})

    assert response.status_code == 400


@PROPERTY
@given(token=NASTY, code=NASTY)
def test_the_two_factor_forms_never_crash(client, merchant, token, code):
    member = MembershipFactory(merchant=merchant, role="viewer").user
    client.force_login(member)
    client.post("/account/two-factor/")

    assert client.post("/account/two-factor/confirm/", {"token": token}).status_code in (201, 400)
    assert client.post("/account/two-factor/disable/", {"code": code}).status_code == 302
