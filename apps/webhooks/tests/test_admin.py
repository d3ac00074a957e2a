"""The back office: endpoints with masked secrets, deliveries with attempts, and a redeliver action."""

import pytest
from django.contrib.auth import get_user_model

from apps.orders.tests.factories import create_order
from apps.webhooks.models import WebhookDelivery
from apps.webhooks.services import deliveries_send_due, endpoint_create
from apps.webhooks.tests.receiver import fan_out_pending

pytestmark = pytest.mark.django_db


@pytest.fixture
def ops(client):
    client.force_login(get_user_model().objects.create_superuser("ops", "ops@example.com", "pw"))
    return client


def test_endpoints_show_masked_secrets_and_deliveries_their_attempts(ops, merchant, receiver):
    endpoint, secret = endpoint_create(merchant_id=merchant.pk, url=receiver.url, event_types=["order.accepted"])
    create_order(merchant_id=merchant.pk, reference="ADMIN-HOOK")
    fan_out_pending()
    receiver.answer(502)
    deliveries_send_due()
    delivery = WebhookDelivery.objects.get()

    endpoints = ops.get("/admin/webhooks/webhookendpoint/").content.decode()
    endpoint_page = ops.get(f"/admin/webhooks/webhookendpoint/{endpoint.pk}/change/").content.decode()
    deliveries = ops.get("/admin/webhooks/webhookdelivery/?state=failed").content.decode()
    delivery_page = ops.get(f"/admin/webhooks/webhookdelivery/{delivery.pk}/change/").content.decode()

    assert f"whsec_…{secret[-4:]}" in endpoints and secret not in endpoints and secret not in endpoint_page
    assert delivery.event_id in deliveries
    assert "answered 502" in delivery_page and "502" in delivery_page


def test_the_redeliver_action_sends_again(ops, merchant, receiver):
    endpoint_create(merchant_id=merchant.pk, url=receiver.url, event_types=["order.accepted"])
    create_order(merchant_id=merchant.pk, reference="ADMIN-R")
    fan_out_pending()
    receiver.answer(*[500] * 20)
    deliveries_send_due()
    WebhookDelivery.objects.update(state="dead", next_attempt_at=None)
    receiver.statuses.clear()

    response = ops.post(
        "/admin/webhooks/webhookdelivery/",
        {"action": "redeliver", "_selected_action": [WebhookDelivery.objects.get().pk]},
        follow=True,
    )
    deliveries_send_due()

    assert "queued to be sent again" in response.content.decode()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.attempts) == ("succeeded", 2)
    assert len(receiver.requests) == 2
