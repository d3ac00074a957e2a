"""The sandbox carriers answer only their customer (the carrier API key the gateway sends, or
a staff session), and never give out the secret that signs their tracking webhooks."""

import httpx
import pytest
from django.conf import settings

from apps.sandbox.models import SandboxCarrier

pytestmark = pytest.mark.django_db(transaction=True)


def sandbox_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {settings.SANDBOX_API_KEY}"}


BOOKING = {
    "service": "standard",
    "reference": "R-1",
    "sender": {"name": "S", "city": "Shenzhen", "country": "CN"},
    "recipient": {"name": "Ms Private", "city": "Berlin", "country": "DE"},
    "parcels": [{"weight_g": 100}],
}


def _book(carrier_url: str) -> str:
    response = httpx.post(
        f"{carrier_url}shipments/", json=BOOKING, headers={**sandbox_headers(), "Idempotency-Key": "k-1"}
    )
    response.raise_for_status()
    return response.json()["tracking_number"]


@pytest.mark.parametrize("credential", [None, "Bearer wrong-key", "Basic c2FuZGJveA=="])
def test_without_the_api_key_the_sandbox_answers_nothing(live_server, credential):
    carrier_url = f"{live_server.url}/sandbox/carriers/locked-post/"
    tracking_number = _book(carrier_url)
    headers = {"Authorization": credential} if credential else {}

    answers = [
        httpx.get(f"{carrier_url}behaviour/", headers=headers),
        httpx.post(f"{carrier_url}behaviour/", json={"outage": True}, headers=headers),
        httpx.get(f"{carrier_url}shipments/", headers=headers),
        httpx.post(f"{carrier_url}shipments/", json=BOOKING, headers={**headers, "Idempotency-Key": "k-2"}),
        httpx.get(f"{carrier_url}tracking/", params={"numbers": tracking_number}, headers=headers),
        httpx.get(f"{carrier_url}shipments/{tracking_number}/label.pdf", headers=headers),
        httpx.post(f"{carrier_url}shipments/{tracking_number}/cancel/", headers=headers),
        httpx.post(f"{live_server.url}/sandbox/webhooks/flush/", headers=headers),
        httpx.get(f"{live_server.url}/sandbox/receivers/shop-a/", headers=headers),
    ]

    assert [a.status_code for a in answers] == [401] * len(answers)
    assert all("Ms Private" not in a.text and tracking_number not in a.text for a in answers)
    assert SandboxCarrier.objects.get(code="locked-post").outage is False


def test_the_knobs_never_show_the_webhook_secret(live_server):
    carrier_url = f"{live_server.url}/sandbox/carriers/quiet-post/"

    changed = httpx.post(f"{carrier_url}behaviour/", json={"webhook_secret": "s3cret-value"}, headers=sandbox_headers())
    read = httpx.get(f"{carrier_url}behaviour/", headers=sandbox_headers())

    assert changed.status_code == read.status_code == 200
    assert "s3cret-value" not in changed.text + read.text
    assert "webhook_secret" not in read.json() and read.json()["webhook_secret_set"] is True
    assert SandboxCarrier.objects.get(code="quiet-post").webhook_secret == "s3cret-value"


def test_a_staff_session_reaches_the_knobs_and_a_merchant_session_does_not(client, django_user_model):
    staff = django_user_model.objects.create_user(username="ops", password="pw-ops-123456", is_staff=True)
    merchant_user = django_user_model.objects.create_user(username="shop", password="pw-shop-123456")

    client.force_login(merchant_user)
    refused = client.get("/sandbox/carriers/staff-post/behaviour/")
    client.force_login(staff)
    allowed = client.get("/sandbox/carriers/staff-post/behaviour/")

    assert (refused.status_code, allowed.status_code) == (401, 200)


def test_anyone_may_post_to_a_receiver_but_only_the_key_reads_it(live_server):
    url = f"{live_server.url}/sandbox/receivers/shop-open/"

    posted = httpx.post(url, json={"hello": "world"})

    assert posted.status_code == 200
    assert httpx.get(url).status_code == 401
    assert "world" in httpx.get(url, headers=sandbox_headers()).json()["requests"][0]["body"]
