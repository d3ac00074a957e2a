import pytest

from apps.merchants.tests.factories import MembershipFactory, MerchantFactory
from apps.orders.models import Order
from apps.orders.tests.factories import order_draft
from apps.shipping.services import order_submit

FORM = {
    "reference": "P-1",
    "service_level": "standard",
    "sender_name": "Shenzhen Gadgets",
    "sender_line1": "1 Keji Rd",
    "sender_city": "Shenzhen",
    "sender_state": "Guangdong",
    "sender_postal_code": "518000",
    "sender_country": "CN",
    "recipient_name": "Anna Schmidt",
    "recipient_line1": "Hauptstr. 5",
    "recipient_city": "Berlin",
    "recipient_postal_code": "10115",
    "recipient_country": "DE",
    "recipient_email": "anna@example.com",
    "parcels-TOTAL_FORMS": "1",
    "parcels-INITIAL_FORMS": "0",
    "parcels-0-weight_g": "1200",
    "parcels-0-length_mm": "300",
    "parcels-0-width_mm": "200",
    "parcels-0-height_mm": "100",
    "items-TOTAL_FORMS": "1",
    "items-INITIAL_FORMS": "0",
    "items-MIN_NUM_FORMS": "1",
    "items-MAX_NUM_FORMS": "1000",
    "items-0-description": "T-shirt",
    "items-0-quantity": "2",
    "items-0-unit_value": "12.50",
    "items-0-currency": "USD",
    "items-0-hs_code": "610910",
    "items-0-origin_country": "CN",
}


@pytest.fixture
def portal(client, merchant_user):
    client.force_login(merchant_user)
    return client


def test_anonymous_visitors_are_sent_to_the_login_page(client, db):
    response = client.get("/orders/")

    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_a_merchant_logs_in_with_username_and_password(client, merchant_user):
    response = client.post("/login/", {"username": merchant_user.username, "password": "secret-pass-123"})

    assert response.status_code == 302 and response["Location"] == "/dashboard/"  # the portal's home


def test_a_valid_form_creates_the_order_and_shows_its_page(portal, merchant, cn_de_service):
    response = portal.post("/orders/new/", FORM, follow=True)

    order = Order.objects.get(merchant=merchant, reference="P-1")
    assert response.redirect_chain[-1][0] == f"/orders/{order.number}/"
    text = response.content.decode()
    assert order.number in text and "Accepted" in text and "accepted" in text  # state and timeline


def test_a_bad_postcode_is_shown_beside_the_recipient_postcode_and_nothing_is_created(portal, merchant, cn_de_service):
    response = portal.post("/orders/new/", {**FORM, "recipient_postal_code": "ABC"})

    text = response.content.decode()
    field = text[text.index('id="field-recipient_postal_code"') :]
    field = field[: field.index("</div>")]
    assert response.status_code == 400
    assert "is not a valid DE postcode" in field
    assert not Order.objects.filter(merchant=merchant).exists()


def test_a_missing_hs_code_is_shown_beside_that_item(portal, merchant, cn_de_service):
    response = portal.post("/orders/new/", {**FORM, "items-0-hs_code": ""})

    text = response.content.decode()
    row = text[text.index('id="item-0"') :]
    row = row[: row.index("</fieldset>")]
    assert "Customs needs an HS code" in row
    assert not Order.objects.filter(merchant=merchant).exists()


def test_the_list_shows_only_the_merchants_own_orders_and_others_are_404(portal, merchant, cn_de_service):
    mine = order_submit(merchant_id=merchant.pk, draft=order_draft(reference="MINE"), actor="t", channel="api")
    other = MerchantFactory()
    theirs = order_submit(merchant_id=other.pk, draft=order_draft(reference="THEIRS"), actor="t", channel="api")

    listing = portal.get("/orders/").content.decode()

    assert mine.number in listing and theirs.number not in listing
    assert portal.get(f"/orders/{theirs.number}/").status_code == 404
    assert portal.get(f"/orders/{theirs.id}/label.pdf").status_code == 404
    assert portal.get(f"/orders/{mine.id}/").status_code == 200


def test_filters_and_csv_export_use_the_same_filters(portal, merchant, cn_de_service):
    order_submit(merchant_id=merchant.pk, draft=order_draft(reference="KEEP"), actor="t", channel="api")
    order_submit(merchant_id=merchant.pk, draft=order_draft(reference="DROP"), actor="t", channel="api")

    listing = portal.get("/orders/", {"reference": "KEEP"}).content.decode()
    export = b"".join(portal.get("/orders/export.csv", {"reference": "KEEP"}).streaming_content).decode()

    assert "KEEP" in listing and "DROP" not in listing
    assert "KEEP" in export and "DROP" not in export


def test_staff_without_a_merchant_are_pointed_to_the_admin(client, db):
    staff = MembershipFactory().user
    staff.memberships.all().delete()
    client.force_login(staff)

    response = client.get("/orders/")

    assert response.status_code == 403 and "/admin/" in response.content.decode()


def test_a_buyer_tracks_a_parcel_on_the_public_page_without_seeing_personal_data(client, merchant, cn_de_service):
    order = order_submit(merchant_id=merchant.pk, draft=order_draft(reference="T-1"), actor="t", channel="api")

    found = client.get("/track/", {"order_number": order.number, "postal_code": "10115"}, REMOTE_ADDR="10.9.9.1")
    missed = client.get("/track/", {"order_number": order.number, "postal_code": "99999"}, REMOTE_ADDR="10.9.9.1")

    text = found.content.decode()
    assert found.status_code == 200 and order.number in text and "Berlin, DE" in text
    assert "Anna Schmidt" not in text and "Hauptstr" not in text and "anna@example.com" not in text
    assert missed.status_code == 404


def test_guessing_on_the_public_page_is_throttled(client, db):
    statuses = [
        client.get("/track/", {"tracking_number": f"SBX{n:010d}"}, REMOTE_ADDR="10.9.9.2").status_code for n in range(8)
    ]

    assert statuses[:5] == [404] * 5 and statuses[-1] == 429
