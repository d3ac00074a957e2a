"""How the sandbox carriers behave over time, shared by their API (views) and their webhook
pushes (tasks): the milestones a shipment walks, and the signed webhooks that report them."""

import hashlib
import hmac
import json
import random
import time
import uuid
from datetime import timedelta

import httpx
import redis
from django.conf import settings
from django.db.models import DateTimeField, ExpressionWrapper, F
from django.utils import timezone

from apps.sandbox.models import SandboxCarrier, SandboxShipment

# Where a shipment is, as a share of its delivery time, and what the carrier says then. Like
# real parcels, some are held in customs on the way and some miss the recipient once.
SMOOTH = [
    (0.0, "INFO", "Shipment information received", "origin"),
    (0.15, "PICKUP", "Picked up by courier", "origin"),
    (0.35, "TRANSIT", "Departed international hub", "hub"),
    (0.75, "OUT_FOR_DELIVERY", "Out for delivery", "destination"),
    (1.0, "DELIVERED", "Delivered", "destination"),
]
CUSTOMS_HOLD = [
    (0.0, "INFO", "Shipment information received", "origin"),
    (0.1, "PICKUP", "Picked up by courier", "origin"),
    (0.25, "TRANSIT", "Departed international hub", "hub"),
    (0.4, "CUSTOMS_HOLD", "Held by customs for inspection", "destination"),
    (0.55, "CUSTOMS_RELEASED", "Released by customs", "destination"),
    (0.8, "OUT_FOR_DELIVERY", "Out for delivery", "destination"),
    (1.0, "DELIVERED", "Delivered", "destination"),
]
FAILED_ATTEMPT = [
    (0.0, "INFO", "Shipment information received", "origin"),
    (0.1, "PICKUP", "Picked up by courier", "origin"),
    (0.3, "TRANSIT", "Departed international hub", "hub"),
    (0.55, "OUT_FOR_DELIVERY", "Out for delivery", "destination"),
    (0.65, "ATTEMPT_FAILED", "Recipient not at home; will try again", "destination"),
    (0.85, "OUT_FOR_DELIVERY", "Out for delivery", "destination"),
    (1.0, "DELIVERED", "Delivered", "destination"),
]


def journey(tracking_number: str) -> list[tuple[float, str, str, str]]:
    """The milestones a shipment walks: one in five is held in customs, one in seven misses once."""
    digits = int("".join(c for c in tracking_number if c.isdigit()) or 0)
    if digits % 5 == 0:
        return CUSTOMS_HOLD
    if digits % 7 == 0:
        return FAILED_ATTEMPT
    return SMOOTH


def shipment_events(shipment: SandboxShipment, now) -> list[dict]:
    """What the carrier reports of the shipment by `now`, oldest first; nothing once cancelled."""
    events = []
    for share, status, description, where in journey(shipment.tracking_number):
        occurred = shipment.created_at + timedelta(seconds=share * shipment.delivery_seconds)
        if shipment.cancelled_at or occurred > now:
            break
        location = shipment.request.get("sender" if where == "origin" else "recipient", {})
        place = "Transit hub" if where == "hub" else f"{location.get('city', '')}, {location.get('country', '')}"
        events.append(
            {"status": status, "description": description, "location": place, "occurred_at": occurred.isoformat()}
        )
    return events


SECOND = timedelta(seconds=1)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def post_webhook(carrier: SandboxCarrier, tracking_number: str, events: list[dict]) -> bool:
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


# A shipment gets webhooks while its journey lasts and for this long after (a post that failed is
# tried again each round until then); older ones are done and not looked at again.
WEBHOOK_GRACE = timedelta(minutes=10)
SENDER_LOCK = "sandbox:webhook-sender"
_RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"


def send_due_webhooks(*, lock_seconds: int = 120) -> int:
    """Send each shipment's events that happened since its last webhook; return how many posts.

    Every shipment whose journey is under way, or ended within WEBHOOK_GRACE, is served, oldest
    first. One round runs at a time across all workers (a lock in Redis, kept at most
    `lock_seconds`): a round that would overlap the previous one returns at once, so rounds never
    pile up in the worker however slow the receiver is."""
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    token = uuid.uuid4().hex
    if not client.set(SENDER_LOCK, token, nx=True, ex=lock_seconds):
        return 0
    try:
        return _send_round(timezone.now())
    finally:
        client.eval(_RELEASE, 1, SENDER_LOCK, token)


def _send_round(now) -> int:
    journey_ends = ExpressionWrapper(F("created_at") + F("delivery_seconds") * SECOND, output_field=DateTimeField())
    posts = 0
    for carrier in SandboxCarrier.objects.exclude(webhook_url="").exclude(webhook_secret=""):
        shipments = (
            SandboxShipment.objects.filter(carrier_code=carrier.code, cancelled_at__isnull=True)
            .alias(ends_at=journey_ends)
            .filter(ends_at__gte=now - WEBHOOK_GRACE)
            .order_by("id")
        )
        for shipment in shipments.iterator(chunk_size=500):
            events = shipment_events(shipment, now)
            new = events[shipment.webhook_events_sent :]
            if not new:
                continue
            batches = [[event] for event in new]
            if carrier.webhook_shuffle and len(batches) > 1:
                random.shuffle(batches)
            if carrier.webhook_duplicate_rate and random.random() < carrier.webhook_duplicate_rate:
                batches.append(batches[0])
            if all([post_webhook(carrier, shipment.tracking_number, batch) for batch in batches]):
                SandboxShipment.objects.filter(pk=shipment.pk).update(webhook_events_sent=len(events))
            posts += len(batches)
    return posts
