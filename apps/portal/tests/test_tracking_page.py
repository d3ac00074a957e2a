"""The buyer's tracking page: no JavaScript needed, the shop's name and logo, an estimated
delivery from the booking day and the route's transit days, and the last-mile carrier's number
once the parcel changes hands. And the settings page where an owner uploads the logo."""

import datetime
import io
import re
from datetime import UTC

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from apps.common import outbox
from apps.distribution.models import DistributionOrder
from apps.fulfillment.models import Consolidation
from apps.fulfillment.services import consolidation_arrive, consolidation_depart, consolidations_close_due
from apps.fulfillment.tests.test_line_haul_plans import THURSDAY, _carrier_reports, _order, line_haul  # noqa: F401
from apps.fulfillment.tests.test_timeline import _booked_order
from apps.merchants.exceptions import InvalidLogo
from apps.merchants.models import LOGO_MAX_BYTES, Merchant
from apps.merchants.services import merchant_logo_set
from apps.merchants.tests.factories import MembershipFactory
from apps.resources.tests.factories import CarrierServiceFactory


def _picture(fmt="PNG", size=(120, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format=fmt)
    return out.getvalue()


def _upload(data: bytes, name="logo.png", content_type="image/png"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def _track(client, order, **headers):
    return client.get("/track/", {"order_number": order.number, "postal_code": order.recipient_postal_code}, **headers)


@pytest.fixture
def owner(client, merchant_user):
    client.force_login(merchant_user)
    return client


def test_an_owner_uploads_a_logo_and_buyers_see_it_with_the_shops_name(owner, client, merchant):
    response = owner.post("/settings/logo/", {"logo": _upload(_picture("JPEG"), "shop.jpg", "image/jpeg")})
    assert response.status_code == 302
    order, _leg = _booked_order(merchant)
    owner.logout()

    page = _track(client, order).content.decode()
    logo_url = re.search(r'<img src="(/track/logo/[^"]+)"', page).group(1)
    logo = client.get(logo_url)

    assert f"Your parcel from {merchant.name}" in page
    assert logo.status_code == 200 and logo["Content-Type"] == "image/png"
    assert "immutable" in logo["Cache-Control"] and "sandbox" in logo["Content-Security-Policy"]
    assert Image.open(io.BytesIO(b"".join(logo.streaming_content))).format == "PNG"  # re-encoded, not the upload


def test_a_new_logo_gets_a_new_address_and_the_old_one_is_gone(owner, merchant, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        owner.post("/settings/logo/", {"logo": _upload(_picture())})
    first = Merchant.objects.get(pk=merchant.pk).logo.name
    with django_capture_on_commit_callbacks(execute=True):
        owner.post("/settings/logo/", {"logo": _upload(_picture(size=(60, 60)))})
    second = Merchant.objects.get(pk=merchant.pk).logo.name

    assert first != second
    assert owner.get(f"/track/logo/{merchant.pk}/{first.removeprefix('logos/')}").status_code == 404
    assert owner.get(f"/track/logo/{merchant.pk}/{second.removeprefix('logos/')}").status_code == 200
    assert owner.get(f"/track/logo/{merchant.pk + 1}/{second.removeprefix('logos/')}").status_code == 404


@pytest.mark.parametrize(
    ("data", "name", "error"),
    [
        (b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", "logo.svg", "must be a picture"),
        (b"%PDF-1.4 not a picture", "logo.png", "must be a picture"),
        (_picture(size=(2001, 10)), "wide.png", "at most 2000 pixels"),
        (b"\x89PNG" + b"0" * LOGO_MAX_BYTES, "big.png", "at most 512 KB"),
    ],
)
def test_a_logo_that_is_no_small_picture_is_refused_beside_the_field(owner, merchant, data, name, error):
    response = owner.post("/settings/logo/", {"logo": _upload(data, name)})

    assert response.status_code == 400
    field = re.search(r'id="field-logo">(.*?)</div>', response.content.decode(), re.S).group(1)
    assert error in field
    assert Merchant.objects.get(pk=merchant.pk).logo.name == ""


def test_the_service_refuses_what_the_form_would_let_through(merchant):
    with pytest.raises(InvalidLogo):
        merchant_logo_set(merchant_id=merchant.pk, upload=_upload(b"GIF89a broken"))


def test_a_role_without_settings_manage_sees_the_logo_but_cannot_change_it(client, merchant):
    staff = MembershipFactory(merchant=merchant, role="viewer").user
    client.force_login(staff)

    page = client.get("/settings/").content.decode()
    refused = client.post("/settings/logo/", {"logo": _upload(_picture())})

    assert "Your role does not change the shop's settings." in page and 'type="file"' not in page
    assert refused.status_code == 403


def test_an_owner_removes_the_logo(owner, merchant):
    owner.post("/settings/logo/", {"logo": _upload(_picture())})

    response = owner.post("/settings/logo/", {"remove": "on"})

    assert response.status_code == 302 and Merchant.objects.get(pk=merchant.pk).logo.name == ""
    assert 'id="no-logo"' in owner.get("/settings/").content.decode()


@pytest.mark.clock
def test_the_estimated_delivery_is_the_booking_day_plus_the_routes_transit_days(client, merchant):
    CarrierServiceFactory(carrier__code="test-post", code="standard", transit_days_min=5, transit_days_max=8)
    with time_machine.travel(datetime.datetime(2026, 3, 4, 12, 0, tzinfo=UTC), tick=False):
        order, _leg = _booked_order(merchant)

    english = _track(client, order).content.decode()
    german = _track(client, order, HTTP_ACCEPT_LANGUAGE="de").content.decode()

    assert "Expected delivery: between March 9, 2026 and March 12, 2026" in english
    assert "Voraussichtliche Zustellung: zwischen 9. März 2026 und 12. März 2026" in german


def test_there_is_no_estimate_without_a_booking_or_a_known_route(client, merchant):
    order, _leg = _booked_order(merchant)  # no CarrierService test-post/standard: no transit days

    assert 'id="estimate"' not in _track(client, order).content.decode()


def test_the_tracking_page_needs_no_javascript(client, merchant):
    order, _leg = _booked_order(merchant)

    page = _track(client, order).content.decode()

    assert re.findall(r"<script[^>]*>", page) == ['<script src="/static/js/confirm.js" defer>']
    assert 'id="timeline"' in page and '<form method="get"' in page


@pytest.mark.django_db(transaction=True)
@pytest.mark.clock
def test_the_buyer_sees_the_last_mile_carriers_number_once_the_parcel_changes_hands(client, merchant, line_haul):  # noqa: F811
    with time_machine.travel(THURSDAY, tick=True):
        order = _order(merchant)
        first_mile = DistributionOrder.objects.get(order_id=order.pk)
        before = _track(client, order).content.decode()
        _carrier_reports(first_mile, "picked_up", "delivered", at=THURSDAY)
    container = Consolidation.objects.get()
    with time_machine.travel(datetime.datetime(2026, 3, 6, 10, 1, tzinfo=UTC)):
        consolidations_close_due()
    consolidation_depart(consolidation_id=container.pk, container_number="MSKU1234565", actor="staff:ops")
    consolidation_arrive(consolidation_id=container.pk, actor="staff:ops")
    outbox.drain()
    last_mile = DistributionOrder.objects.get(order_id=order.pk, carrier_code="de-last")

    after = _track(client, order).content.decode()
    by_last_number = client.get("/track/", {"tracking_number": last_mile.tracking_number}).content.decode()
    chinese = _track(client, order, HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()

    assert 'id="last-mile"' not in before and f"cn-first {first_mile.tracking_number}" in before
    last = re.search(r'id="last-mile">(.*?)</dd>', after, re.S).group(1)
    assert f"de-last <strong>{last_mile.tracking_number}</strong>" in last
    assert f"cn-first {first_mile.tracking_number}" in re.search(r'id="first-mile">(.*?)</dd>', after).group(1)
    assert 'id="last-mile"' in by_last_number
    assert "派送承运商" in chinese and "已到达集货中心" in chinese
