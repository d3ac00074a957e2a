"""The whole platform across process boundaries: an order sent to the ERP API of a live server
is relayed from the outbox, scheduled, booked by a real Celery worker over HTTP at the sandbox
carrier, tracked by beat-driven polls, and reaches `delivered`."""

import sys
import time

import httpx
import pytest
import redis
from django.conf import settings

from apps.common.testing import CELERY, Processes, process_env, sandbox_headers, worker_command
from apps.merchants.services import api_key_issue
from apps.merchants.tests.factories import MembershipFactory, MerchantFactory
from apps.orders.tests.factories import order_payload
from apps.resources.tests.factories import CoverageFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def platform_processes(live_server, tmp_path):
    """A Celery worker, Celery beat and the outbox relay, on the test database and test Redis."""
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.flushdb()  # no leftover messages from an earlier run
    processes = Processes(
        {
            "worker": worker_command(),
            "beat": [sys.executable, *CELERY, "beat", "--schedule", str(tmp_path / "beat"), "--loglevel", "INFO"],
            "relay": [sys.executable, "manage.py", "outbox_relay"],
        },
        log_dir=tmp_path,
        env=process_env(TRACKING_POLL_SECONDS="1"),
    )
    yield processes
    processes.stop()
    broker.flushdb()


def test_an_order_from_the_erp_api_reaches_delivered(live_server, platform_processes, settings):
    settings.SANDBOX_DELIVERY_SECONDS = 6
    CoverageFactory(
        service__carrier__code="e2e-post",
        service__carrier__endpoint_url=f"{live_server.url}/sandbox/carriers/e2e-post/",
    )
    merchant, other = MerchantFactory(), MerchantFactory()
    _, key = api_key_issue(merchant=merchant, name="erp")
    _, other_key = api_key_issue(merchant=other, name="erp")
    api = httpx.Client(base_url=f"{live_server.url}/api/v1", headers={"Authorization": f"Bearer {key}"}, timeout=10)

    created = api.post("/orders/", json=order_payload(reference="E2E-1"))
    assert created.status_code == 201, created.text
    order_id = created.json()["id"]
    assert isinstance(order_id, str) and created.json()["state"] == "accepted"

    seen_states = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        body = api.get(f"/orders/{order_id}/").json()
        if not seen_states or seen_states[-1] != body["state"]:
            seen_states.append(body["state"])
        if body["state"] == "delivered":
            break
        time.sleep(0.5)
    assert body["state"] == "delivered", f"stuck in {body['state']} after {seen_states}\n{platform_processes.output()}"
    assert body["tracking_number"].startswith("SBE2E")
    assert body["carrier"] == "e2e-post"

    label = httpx.get(
        f"{live_server.url}/sandbox/carriers/e2e-post/shipments/{body['tracking_number']}/label.pdf",
        headers=sandbox_headers(),
    )
    assert label.status_code == 200 and label.content.startswith(b"%PDF-")

    # Another merchant sees nothing of it, in the API or the portal.
    foreign = httpx.get(
        f"{live_server.url}/api/v1/orders/{order_id}/", headers={"Authorization": f"Bearer {other_key}"}
    )
    assert foreign.status_code == 404
    stranger = MembershipFactory(merchant=other, role="viewer").user  # a password alone logs a viewer in
    portal = httpx.Client(base_url=live_server.url, follow_redirects=True)
    login_page = portal.get("/login/")
    portal.post(
        "/login/",
        data={
            "username": stranger.username,
            "password": "secret-pass-123",
            "csrfmiddlewaretoken": login_page.cookies["csrftoken"],
        },
        headers={"Referer": f"{live_server.url}/login/"},
    )
    assert portal.get("/orders/").status_code == 200
    assert portal.get(f"/orders/{order_id}/").status_code == 404
