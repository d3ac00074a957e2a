"""Outside development, endpoints may not point into private networks (SSRF), at registration or at send time."""

import pytest

from apps.orders.tests.factories import create_order
from apps.webhooks.exceptions import UnsafeWebhookUrl
from apps.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from apps.webhooks.services import deliveries_send_due, endpoint_create, endpoint_update
from apps.webhooks.tests.receiver import fan_out_pending

pytestmark = pytest.mark.django_db

REFUSED = [
    "http://127.0.0.1:8000/hook",
    "http://localhost/hook",
    "http://10.1.2.3/hook",
    "http://172.16.0.9/hook",
    "http://192.168.1.1/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]/hook",
    "http://[fe80::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://0.0.0.0/hook",
    "http://224.0.0.1/hook",
    "http://100.64.0.1/hook",
    "ftp://93.184.215.14/hook",
    "file:///etc/passwd",
    "http://user:pw@93.184.215.14/hook",
]


@pytest.mark.parametrize("url", REFUSED)
def test_private_and_non_http_urls_are_refused_with_the_field_named(settings, merchant, url):
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = False

    with pytest.raises(UnsafeWebhookUrl) as refused:
        endpoint_create(merchant_id=merchant.pk, url=url, event_types=["order.accepted"])

    assert refused.value.http_status == 422
    assert list(refused.value.extra["fields"]) == ["url"]
    assert not WebhookEndpoint.objects.exists()


def test_a_public_address_is_accepted(settings, merchant):
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = False

    endpoint, _ = endpoint_create(
        merchant_id=merchant.pk, url="https://93.184.215.14/hooks", event_types=["order.accepted"]
    )

    assert WebhookEndpoint.objects.get().url == endpoint.url


def test_changing_the_url_to_a_private_one_is_refused_and_changes_nothing(settings, merchant):
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = False
    endpoint, _ = endpoint_create(
        merchant_id=merchant.pk, url="https://93.184.215.14/a", event_types=["order.accepted"]
    )

    with pytest.raises(UnsafeWebhookUrl):
        endpoint_update(merchant_id=merchant.pk, endpoint_id=endpoint.pk, url="http://10.0.0.1/a")

    assert WebhookEndpoint.objects.get().url == "https://93.184.215.14/a"


def test_the_address_is_checked_again_when_sending(settings, receiver, merchant):
    """A name that resolved to a public address at registration may resolve to a private one later."""
    endpoint_create(merchant_id=merchant.pk, url=receiver.url, event_types=["order.accepted"])
    create_order(merchant_id=merchant.pk, reference="SSRF-1")
    fan_out_pending()
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = False

    deliveries_send_due()

    assert receiver.requests == []
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code is None and "127.0.0.1" in attempt.error
    assert WebhookDelivery.objects.get().state == "failed"
