"""The sandbox carriers push tracking webhooks, as real carriers do: signed, sometimes twice,
sometimes out of order."""

import hashlib
import hmac
import json
import random
import time

import httpx
from celery import shared_task
from django.utils import timezone

from apps.sandbox.models import SandboxCarrier, SandboxShipment
from apps.sandbox.views import shipment_events


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def _post(carrier: SandboxCarrier, tracking_number: str, events: list[dict]) -> bool:
    body = json.dumps({"shipments": [{"tracking_number": tracking_number, "events": events}]}).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Sandbox-Signature": sign(carrier.webhook_secret, int(time.time()), body),
    }
    try:
        response = httpx.post(carrier.webhook_url, content=body, headers=headers, timeout=5)
    except httpx.HTTPError:
        return False
    return response.status_code < 300


def send_due_webhooks(*, limit: int = 200) -> int:
    """Send each shipment's events that happened since its last webhook; return how many posts."""
    now, posts = timezone.now(), 0
    for carrier in SandboxCarrier.objects.exclude(webhook_url="").exclude(webhook_secret=""):
        shipments = SandboxShipment.objects.filter(carrier_code=carrier.code, cancelled_at__isnull=True)
        for shipment in shipments.order_by("id")[:limit]:
            events = shipment_events(shipment, now)
            new = events[shipment.webhook_events_sent :]
            if not new:
                continue
            batches = [[event] for event in new]
            if carrier.webhook_shuffle and len(batches) > 1:
                random.shuffle(batches)
            if carrier.webhook_duplicate_rate and random.random() < carrier.webhook_duplicate_rate:
                batches.append(batches[0])
            if all([_post(carrier, shipment.tracking_number, batch) for batch in batches]):
                SandboxShipment.objects.filter(pk=shipment.pk).update(webhook_events_sent=len(events))
            posts += len(batches)
    return posts


@shared_task(ignore_result=True)
def send_webhooks() -> None:
    send_due_webhooks()
