"""Outside development, endpoints may not point into private networks (SSRF), at registration or at send time."""

import socket

import httpx
import pytest

from apps.orders.tests.factories import create_order
from apps.webhooks.exceptions import UnsafeWebhookUrl
from apps.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from apps.webhooks.services import deliveries_send_due, delivery_attempt, endpoint_create, endpoint_update
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
    "http://[2002:7f00:1::]/hook",  # 6to4 wrapping 127.0.0.1
    "http://[2002:a9fe:a9fe::1]/hook",  # 6to4 wrapping 169.254.169.254
    "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/hook",  # Teredo
    "http://[64:ff9b::a00:1]/hook",  # NAT64 of 10.0.0.1
    "http://[::127.0.0.1]/hook",  # IPv4-compatible
    "http://[::ffff:0:7f00:1]/hook",  # IPv4-translated
    "http://[fec0::1]/hook",  # site-local
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


def _resolving(monkeypatch, host: str, answers: list[str]) -> list[str]:
    """Make `host` resolve to each of `answers` in turn (the last one from then on), as a DNS
    server an attacker runs can; return the log of lookups."""
    real, lookups = socket.getaddrinfo, []

    def getaddrinfo(name, port, *args, **kwargs):
        if name != host:
            return real(name, port, *args, **kwargs)
        lookups.append(name)
        address = answers[min(len(lookups), len(answers)) - 1]
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [(family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return lookups


def test_the_send_connects_to_the_address_it_checked_not_to_a_second_lookup(settings, merchant, monkeypatch):
    """DNS rebinding: public at the check, 127.0.0.1 a moment later for the HTTP client."""
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = False
    lookups = _resolving(monkeypatch, "hooks.rebind.example", ["93.184.215.14", "127.0.0.1"])
    endpoint_create(merchant_id=merchant.pk, url="https://hooks.rebind.example/in", event_types=["order.accepted"])
    create_order(merchant_id=merchant.pk, reference="REBIND-1")
    fan_out_pending()
    lookups.clear()
    sent = []

    def transport(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(204)

    with httpx.Client(transport=httpx.MockTransport(transport)) as client:
        delivery_attempt(delivery=WebhookDelivery.objects.get(), client=client)

    assert len(lookups) == 1
    assert [str(r.url) for r in sent] == ["https://93.184.215.14/in"]
    assert sent[0].headers["host"] == "hooks.rebind.example"
    assert sent[0].extensions["sni_hostname"] == "hooks.rebind.example"  # the certificate is checked for the name
    assert WebhookDelivery.objects.get().state == "succeeded"


def test_a_pinned_send_reaches_the_receiver_with_the_name_in_the_host_header(receiver, merchant, monkeypatch):
    port = receiver.url.split(":")[2].split("/")[0]
    _resolving(monkeypatch, "shop.hooks.example", ["127.0.0.1", "127.0.0.9"])  # nothing listens on .9
    endpoint_create(
        merchant_id=merchant.pk, url=f"http://shop.hooks.example:{port}/hooks/", event_types=["order.accepted"]
    )
    create_order(merchant_id=merchant.pk, reference="PINNED-1")
    fan_out_pending()

    deliveries_send_due()

    assert [r.headers["host"] for r in receiver.requests] == [f"shop.hooks.example:{port}"]
    assert WebhookDelivery.objects.get().state == "succeeded"
