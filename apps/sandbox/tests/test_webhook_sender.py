"""The sandbox carriers' webhook sender: every shipment under way gets its news, and one round
runs at a time however many beat ticks pile up."""

import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import redis
from django.conf import settings
from django.utils import timezone

from apps.sandbox.models import SandboxCarrier, SandboxShipment
from apps.sandbox.simulation import SENDER_LOCK, send_due_webhooks

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver():
    """A merchant-side endpoint of our own that counts the tracking numbers it is sent."""
    received: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/", received
    server.shutdown()


def _shipments(carrier, count, *, created_at, delivery_seconds):
    SandboxShipment.objects.bulk_create(
        SandboxShipment(
            carrier_code=carrier.code,
            idempotency_key=f"k-{created_at.timestamp()}-{n}",
            tracking_number=f"SBX{int(created_at.timestamp())}{n:05d}",
            service="standard",
            request={},
            label_pdf=b"",
            delivery_seconds=delivery_seconds,
            created_at=created_at,
        )
        for n in range(count)
    )


def test_every_shipment_under_way_gets_its_news_not_only_the_first_200(receiver):
    url, received = receiver
    carrier = SandboxCarrier.objects.create(
        code="hooks-post", webhook_url=url, webhook_secret="s", webhook_shuffle=False, webhook_duplicate_rate=0
    )
    now = timezone.now()
    _shipments(carrier, 230, created_at=now, delivery_seconds=3600)  # only "information received" is due
    _shipments(carrier, 5, created_at=now - timedelta(days=2), delivery_seconds=60)  # long delivered: done

    posts = send_due_webhooks()

    assert posts == 230 == len(received)
    assert SandboxShipment.objects.filter(webhook_events_sent=1).count() == 230
    assert send_due_webhooks() == 0  # nothing new until the next milestone


def test_a_round_that_would_overlap_the_running_one_sends_nothing_and_the_lock_goes_with_the_round(receiver):
    url, received = receiver
    carrier = SandboxCarrier.objects.create(code="lock-post", webhook_url=url, webhook_secret="s")
    _shipments(carrier, 3, created_at=timezone.now(), delivery_seconds=3600)
    client = redis.Redis.from_url(settings.REDIS_URL)

    client.set(SENDER_LOCK, "another round", ex=60)
    assert send_due_webhooks() == 0 and received == []

    client.delete(SENDER_LOCK)
    assert send_due_webhooks() >= 3
    assert client.get(SENDER_LOCK) is None
