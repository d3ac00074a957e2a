"""The sandbox WMS moves on by itself: with a real Celery beat and worker (no test calling its
step), an order taken through the gateway walks to shipped, and every change reaches the
platform as a webhook the gateway believes."""

import sys
import uuid
from types import SimpleNamespace

import httpx
import pytest
import redis
from django.conf import settings

from apps.common.testing import CELERY, Processes, process_env, sandbox_headers, wait_for, worker_command
from apps.warehouse.tests.test_wms_gateway import _order
from apps.warehouse.wms import wms_gateway_for
from apps.warehouse.wms.types import WmsStage

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def beat_and_worker(live_server, tmp_path):
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.flushdb()  # no leftover messages from an earlier run
    processes = Processes(
        {
            "worker": worker_command(queues="events", concurrency=1),
            "beat": [sys.executable, *CELERY, "beat", "--schedule", str(tmp_path / "beat"), "--loglevel", "INFO"],
        },
        log_dir=tmp_path,
        env=process_env(),
    )
    yield processes
    processes.stop()
    broker.flushdb()


def test_beat_walks_an_order_to_shipped_and_its_webhooks_reach_the_platform(live_server, beat_and_worker):
    url = f"{live_server.url}/sandbox/wms/wms-beat/"
    receiver = f"{live_server.url}/sandbox/receivers/wms-beat-{uuid.uuid4().hex[:12]}/"
    knobs = {"stage_seconds": 1, "webhook_url": receiver, "webhook_secret": settings.WMS_WEBHOOK_SECRET}
    httpx.post(f"{url}behaviour/", json=knobs, headers=sandbox_headers()).raise_for_status()
    httpx.post(f"{url}stock/", json={"items": [{"sku": "SKU-1", "on_hand": 5}]}, headers=sandbox_headers())
    gateway = wms_gateway_for(SimpleNamespace(code="wms-beat", endpoint_url=url))

    gateway.create_order(_order("WO-beat", "wms-beat", ("SKU-1", 2)))
    wait_for(
        lambda: gateway.get_order("WO-beat").stage == WmsStage.SHIPPED,
        seconds=60,
        what="the order to be shipped",
        processes=beat_and_worker,
    )

    def news():
        got = httpx.get(receiver, headers=sandbox_headers()).json()["requests"]
        parsed = [gateway.parse_webhook(d["body"].encode(), d["headers"]) for d in got]
        return parsed if {order.sequence for order in parsed} == {1, 2, 3, 4} else None

    pushed = wait_for(news, seconds=30, what="a webhook for each of the 4 changes", processes=beat_and_worker)
    assert max(pushed, key=lambda order: order.sequence).stage == WmsStage.SHIPPED
    assert {order.external_reference for order in pushed} == {"WO-beat"}
