"""The webhooks endpoints: register, change, rotate, remove; follow deliveries and redeliver."""

import pytest

from apps.erp_api.models import IdempotencyRecord
from apps.orders.tests.factories import create_order
from apps.webhooks import signing
from apps.webhooks.models import WebhookEndpoint
from apps.webhooks.services import deliveries_send_due
from apps.webhooks.tests.receiver import fan_out_pending, running_receiver

ENDPOINTS = "/api/v1/webhooks/endpoints/"
DELIVERIES = "/api/v1/webhooks/deliveries/"


@pytest.fixture
def hook():
    with running_receiver() as receiver:
        yield receiver


def _register(api_client, url: str, headers: dict | None = None, **extra):
    body = {"url": url, "event_types": ["order.accepted"], **extra}
    return api_client.post(ENDPOINTS, body, format="json", headers=headers)


def test_registering_shows_the_secret_once_and_masked_afterwards(api_client, merchant):
    created = _register(api_client, "http://127.0.0.1:9/hooks/", description="ERP listener")

    assert created.status_code == 201, created.content
    assert created["Cache-Control"] == "no-store"
    body = created.json()
    assert body["secret"].startswith("whsec_") and len(body["secret"]) > 30
    assert (body["url"], body["event_types"], body["enabled"]) == (
        "http://127.0.0.1:9/hooks/",
        ["order.accepted"],
        True,
    )
    read = api_client.get(f"{ENDPOINTS}{body['id']}/").json()
    listed = api_client.get(ENDPOINTS).json()["results"]
    assert read["secret"] == f"whsec_…{body['secret'][-4:]}"
    assert [e["id"] for e in listed] == [body["id"]] and body["secret"] not in str(listed)
    assert WebhookEndpoint.objects.get().merchant_id == merchant.pk


def test_a_private_url_is_refused_outside_development_with_the_error_on_url(api_client, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = False

    for url in ["http://127.0.0.1/hooks/", "http://169.254.169.254/latest/", "http://10.0.0.8/x"]:
        refused = _register(api_client, url)

        assert refused.status_code == 422, url
        assert refused.json()["code"] == "unsafe_webhook_url"
        assert list(refused.json()["extra"]["fields"]) == ["url"]
    assert not WebhookEndpoint.objects.exists()


def test_unknown_event_types_and_non_urls_are_400_by_field(api_client):
    response = api_client.post(ENDPOINTS, {"url": "not a url", "event_types": ["order.teleported"]}, format="json")

    assert response.status_code == 400
    assert set(response.json()["extra"]["fields"]) == {"url", "event_types[0]"}
    assert not WebhookEndpoint.objects.exists()


def test_an_idempotent_retry_of_the_registration_registers_once(api_client):
    first = _register(api_client, "http://127.0.0.1:9/a/", headers={"Idempotency-Key": "hook-1"})
    again = _register(api_client, "http://127.0.0.1:9/a/", headers={"Idempotency-Key": "hook-1"})

    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true" and again.json()["id"] == first.json()["id"]
    assert WebhookEndpoint.objects.count() == 1


@pytest.mark.parametrize("action", ["create", "rotate"])
def test_a_secret_is_shown_once_and_a_replay_gets_it_masked_with_a_notice(api_client, action):
    if action == "create":
        send = lambda: _register(api_client, "http://127.0.0.1:9/s/", headers={"Idempotency-Key": "secret-1"})  # noqa: E731
    else:
        endpoint_id = _register(api_client, "http://127.0.0.1:9/s/").json()["id"]
        send = lambda: api_client.post(  # noqa: E731
            f"{ENDPOINTS}{endpoint_id}/rotate-secret/",
            {"overlap_hours": 0},
            format="json",
            headers={"Idempotency-Key": "rot-1"},
        )

    first, again = send(), send()

    secret = first.json()["secret"]
    assert secret.startswith("whsec_") and len(secret) > 20
    assert first["Cache-Control"] == again["Cache-Control"] == "no-store"
    assert again["Idempotent-Replayed"] == "true"
    assert secret not in again.content.decode()
    assert again.json()["secret"] == f"whsec_…{secret[-4:]}" and "shown in full only" in again.json()["secret_notice"]
    assert all(secret not in bytes(r.response_body).decode() for r in IdempotencyRecord.objects.all())


def test_patch_rotate_and_delete(api_client):
    endpoint = _register(api_client, "http://127.0.0.1:9/a/").json()
    url = f"{ENDPOINTS}{endpoint['id']}/"

    patched = api_client.patch(url, {"enabled": False, "event_types": ["order.delivered"]}, format="json")
    rotated = api_client.post(f"{url}rotate-secret/", {"overlap_hours": 2}, format="json")
    deleted = api_client.delete(url)

    assert patched.status_code == 200
    assert (patched.json()["enabled"], patched.json()["event_types"]) == (False, ["order.delivered"])
    assert rotated.status_code == 200
    assert rotated.json()["secret"] not in (endpoint["secret"], "") and rotated.json()["secret"].startswith("whsec_")
    assert rotated.json()["previous_secret_expires_at"] is not None
    assert deleted.status_code == 204
    assert api_client.get(url).status_code == 404
    assert not WebhookEndpoint.objects.exists()


def test_deliveries_with_attempts_and_a_redelivery(api_client, merchant, hook):
    endpoint = _register(api_client, hook.url).json()
    create_order(merchant_id=merchant.pk, reference="API-HOOK-1")
    fan_out_pending()
    hook.answer(500)
    deliveries_send_due()

    failed = api_client.get(DELIVERIES, {"state": "failed", "endpoint": endpoint["id"]}).json()["results"]
    assert [d["event_type"] for d in failed] == ["order.accepted"]
    assert failed[0]["payload"]["data"]["reference"] == "API-HOOK-1"
    assert api_client.get(DELIVERIES, {"state": "succeeded"}).json()["results"] == []

    redeliver = api_client.post(f"{DELIVERIES}{failed[0]['id']}/redeliver/", format="json")
    assert redeliver.status_code == 202 and redeliver.json()["state"] == "pending"
    deliveries_send_due()

    detail = api_client.get(f"{DELIVERIES}{failed[0]['id']}/").json()
    assert (detail["state"], detail["attempt_count"]) == ("succeeded", 2)
    assert [a["status_code"] for a in detail["attempts"]] == [500, 200]
    assert detail["attempts"][0]["response_excerpt"] == "answered 500"
    assert [r.headers["webhook-id"] for r in hook.requests] == [detail["event_id"]] * 2
    signing.verify(secret=endpoint["secret"], headers=hook.requests[-1].headers, body=hook.requests[-1].body)


def test_redelivering_to_a_disabled_endpoint_is_a_conflict(api_client, merchant, hook):
    endpoint = _register(api_client, hook.url).json()
    create_order(merchant_id=merchant.pk, reference="API-HOOK-2")
    fan_out_pending()
    api_client.patch(f"{ENDPOINTS}{endpoint['id']}/", {"enabled": False}, format="json")
    delivery = api_client.get(DELIVERIES).json()["results"][0]

    response = api_client.post(f"{DELIVERIES}{delivery['id']}/redeliver/", format="json")

    assert response.status_code == 409 and response.json()["code"] == "webhook_endpoint_disabled"
    assert deliveries_send_due() == 0 and hook.requests == []


@pytest.mark.parametrize("query", [{"state": "lost"}, {"endpoint": "abc"}, {"colour": "red"}])
def test_bad_delivery_filters_are_400(api_client, query):
    response = api_client.get(DELIVERIES, query)

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
