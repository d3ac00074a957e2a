"""Webhooks in the portal: owners register, switch and rotate endpoints; members follow deliveries and redeliver."""

import re

import pytest

from apps.merchants.models import Membership
from apps.merchants.tests.factories import MembershipFactory, MerchantFactory
from apps.orders.tests.factories import create_order
from apps.webhooks import signing
from apps.webhooks.models import WebhookDelivery, WebhookEndpoint
from apps.webhooks.services import deliveries_send_due, endpoint_create
from apps.webhooks.tests.receiver import fan_out_pending, running_receiver

PAGE = "/webhook-endpoints/"


@pytest.fixture
def owner(client, merchant):
    client.force_login(MembershipFactory(merchant=merchant, role=Membership.Role.OWNER).user)
    return client


@pytest.fixture
def hook():
    with running_receiver() as receiver:
        yield receiver


def _secret(response) -> str:
    return re.search(r"whsec_[A-Za-z0-9+/=]+", response.content.decode()).group(0)


def test_an_owner_registers_an_endpoint_sees_its_secret_once_and_it_receives_signed_events(owner, merchant, hook):
    response = owner.post(
        f"{PAGE}new/", {"url": hook.url, "description": "ERP", "event_types": ["order.accepted", "order.delivered"]}
    )

    assert response.status_code == 201 and response["Cache-Control"] == "no-store"
    secret = _secret(response)
    endpoint = WebhookEndpoint.objects.get(merchant_id=merchant.pk)
    assert endpoint.event_types == ["order.accepted", "order.delivered"]
    listing = owner.get(PAGE).content.decode()
    assert hook.url in listing and secret not in listing and signing.masked(secret) in listing
    create_order(merchant_id=merchant.pk, reference="PORTAL-HOOK")
    fan_out_pending()
    deliveries_send_due()
    signing.verify(secret=secret, headers=hook.requests[0].headers, body=hook.requests[0].body)


def test_a_private_url_is_refused_beside_the_field(owner, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = False

    response = owner.post(f"{PAGE}new/", {"url": "http://169.254.169.254/", "event_types": ["order.accepted"]})

    assert response.status_code == 400
    assert "public addresses only" in response.context["form"].errors["url"][0]
    assert not WebhookEndpoint.objects.exists()


def test_disable_enable_and_rotate(owner, merchant):
    endpoint, old_secret = endpoint_create(
        merchant_id=merchant.pk, url="http://127.0.0.1:9/x/", event_types=["order.accepted"]
    )

    owner.post(f"{PAGE}{endpoint.pk}/toggle/")
    assert not WebhookEndpoint.objects.get().enabled
    owner.post(f"{PAGE}{endpoint.pk}/toggle/")
    assert WebhookEndpoint.objects.get().enabled
    rotated = owner.post(f"{PAGE}{endpoint.pk}/rotate/", {"overlap_hours": "24"})

    assert rotated.status_code == 201 and "signs too until" in rotated.content.decode()
    endpoint.refresh_from_db()
    assert endpoint.secret == _secret(rotated) != old_secret and endpoint.previous_secret == old_secret


def test_deliveries_show_their_attempts_and_redeliver_sends_again(owner, merchant, hook):
    endpoint_create(merchant_id=merchant.pk, url=hook.url, event_types=["order.accepted"])
    order = create_order(merchant_id=merchant.pk, reference="PORTAL-R")
    fan_out_pending()
    hook.answer(503)
    deliveries_send_due()
    delivery = WebhookDelivery.objects.get()

    page = owner.get(PAGE).content.decode()
    assert order.number in page and "503" in page and "answered 503" in page

    response = owner.post(f"/webhook-deliveries/{delivery.pk}/redeliver/", follow=True)
    deliveries_send_due()

    assert "will be sent again" in response.content.decode()
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("succeeded", 2)


def test_another_merchants_endpoints_and_deliveries_cannot_be_seen_or_touched(owner, hook):
    theirs = MerchantFactory()
    endpoint, _ = endpoint_create(
        merchant_id=theirs.pk, url=hook.url, event_types=["order.accepted"], description="THEIR-HOOK"
    )
    create_order(merchant_id=theirs.pk, reference="THEIR-ORDER")
    fan_out_pending()
    delivery = WebhookDelivery.objects.get()

    page = owner.get(PAGE).content.decode()
    toggle = owner.post(f"{PAGE}{endpoint.pk}/toggle/")
    rotate = owner.post(f"{PAGE}{endpoint.pk}/rotate/", {"overlap_hours": "0"})
    redeliver = owner.post(f"/webhook-deliveries/{delivery.pk}/redeliver/")

    assert "THEIR-HOOK" not in page and delivery.event_id not in page
    assert (toggle.status_code, rotate.status_code, redeliver.status_code) == (404, 404, 404)
    assert WebhookEndpoint.objects.get().enabled and WebhookEndpoint.objects.get().previous_secret == ""


def test_a_viewer_neither_sees_nor_changes_webhooks(client, merchant):
    endpoint, _ = endpoint_create(merchant_id=merchant.pk, url="http://127.0.0.1:9/x/", event_types=["order.accepted"])
    client.force_login(MembershipFactory(merchant=merchant, role=Membership.Role.VIEWER).user)

    listing = client.get(PAGE)
    create = client.post(f"{PAGE}new/", {"url": "http://127.0.0.1:9/y/", "event_types": ["order.accepted"]})
    toggle = client.post(f"{PAGE}{endpoint.pk}/toggle/")

    assert (listing.status_code, create.status_code, toggle.status_code) == (403, 403, 403)
    assert list(WebhookEndpoint.objects.values_list("url", "enabled")) == [("http://127.0.0.1:9/x/", True)]


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    assert client.get(PAGE)["Location"].startswith("/login/")
