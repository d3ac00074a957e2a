"""Webhooks across process boundaries: an order sent to the ERP API of a live server travels to
`delivered` through a real relay, Celery worker and beat, and the merchant's receiver gets each
step as a signed request sent by the beat-driven sweeper on the `webhooks` queue."""

import json
import sys
import time

import httpx
import pytest
import redis
from django.conf import settings

from apps.common.testing import CELERY, Processes, process_env, worker_command
from apps.merchants.services import api_key_issue
from apps.merchants.tests.factories import MerchantFactory
from apps.orders.tests.factories import order_payload
from apps.resources.tests.factories import CoverageFactory
from apps.webhooks import signing
from apps.webhooks.tests.receiver import running_receiver

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def platform_processes(live_server, tmp_path):
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.flushdb()
    processes = Processes(
        {
            "worker": worker_command(queues="events,events_bulk,carriers,webhooks"),
            "beat": [sys.executable, *CELERY, "beat", "--schedule", str(tmp_path / "beat"), "--loglevel", "INFO"],
            "relay": [sys.executable, "manage.py", "outbox_relay"],
        },
        log_dir=tmp_path,
        env=process_env(TRACKING_POLL_SECONDS="1"),
    )
    yield processes
    processes.stop()
    broker.flushdb()


def test_a_merchant_receives_each_step_of_an_order_signed_until_delivered(live_server, platform_processes, settings):
    settings.SANDBOX_DELIVERY_SECONDS = 6
    CoverageFactory(
        service__carrier__code="hook-post",
        service__carrier__endpoint_url=f"{live_server.url}/sandbox/carriers/hook-post/",
    )
    _, key = api_key_issue(merchant=MerchantFactory(), name="erp")
    api = httpx.Client(base_url=f"{live_server.url}/api/v1", headers={"Authorization": f"Bearer {key}"}, timeout=10)

    with running_receiver() as receiver:
        endpoint = api.post(
            "/webhooks/endpoints/",
            json={"url": receiver.url, "event_types": ["order.accepted", "order.booked", "order.delivered"]},
        )
        assert endpoint.status_code == 201, endpoint.text
        secret = endpoint.json()["secret"]
        created = api.post("/orders/", json=order_payload(reference="HOOK-E2E"))
        assert created.status_code == 201, created.text

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            types = [json.loads(r.body)["type"] for r in receiver.requests]
            if "order.delivered" in types:
                break
            time.sleep(0.5)
        assert "order.delivered" in types, f"received {types}\n{platform_processes.output()}"

    bodies = {}
    for request in receiver.requests:
        signing.verify(secret=secret, headers=request.headers, body=request.body)
        bodies[request.headers["webhook-id"]] = json.loads(request.body)
    by_type = {body["type"]: body["data"] for body in bodies.values()}
    assert sorted(by_type) == ["order.accepted", "order.booked", "order.delivered"]
    assert {data["order_id"] for data in by_type.values()} == {created.json()["id"]}
    assert by_type["order.booked"]["tracking_number"].startswith("SB")
    assert (
        by_type["order.accepted"]["version"]
        < by_type["order.booked"]["version"]
        < by_type["order.delivered"]["version"]
    )
    deliveries = api.get("/webhooks/deliveries/", params={"state": "succeeded"}).json()["results"]
    assert sorted(d["event_id"] for d in deliveries) == sorted(bodies)
