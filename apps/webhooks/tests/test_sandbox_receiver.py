"""The sandbox's merchant receiver, which the demo points endpoints at, gets our signed deliveries."""

import json
import uuid

import httpx
import pytest

from apps.common.testing import sandbox_headers
from apps.orders.tests.factories import create_order
from apps.webhooks import signing
from apps.webhooks.models import WebhookDelivery
from apps.webhooks.services import deliveries_send_due, endpoint_create
from apps.webhooks.tests.receiver import fan_out_pending

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_sandbox_receiver_keeps_what_arrived_and_answers_the_status_asked_for(live_server, merchant):
    base = f"{live_server.url}/sandbox/receivers/shop-{uuid.uuid4().hex[:8]}/"  # Redis outlives the test
    _, secret = endpoint_create(merchant_id=merchant.pk, url=base, event_types=["order.accepted"])
    endpoint_create(merchant_id=merchant.pk, url=f"{base}?status=503", event_types=["order.accepted"])
    create_order(merchant_id=merchant.pk, reference="SANDBOX-HOOK")
    fan_out_pending()

    deliveries_send_due()

    assert sorted(WebhookDelivery.objects.values_list("last_status_code", flat=True)) == [200, 503]
    kept = httpx.get(base, headers=sandbox_headers()).json()["requests"]
    assert len(kept) == 2
    assert json.loads(kept[0]["body"])["data"]["reference"] == "SANDBOX-HOOK"
    signed = next(
        k
        for k in kept
        if signing.sign(
            secret=secret,
            msg_id=k["headers"]["webhook-id"],
            timestamp=int(k["headers"]["webhook-timestamp"]),
            body=k["body"].encode(),
        )
        == k["headers"]["webhook-signature"]
    )
    assert signed["headers"]["content-type"] == "application/json"
