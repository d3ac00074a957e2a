"""How the sandbox WMS behaves over time: one step moves due orders a stage on, drifts stock
(knob) and sends the webhooks it owes, signed, and as badly as its knobs say (twice, out of
order, late, or never). Beat runs a step every two seconds (`tasks.run_wms`); only one step runs
at a time across every worker, so two never move the same order or post the same webhook."""

import json
import random
import time
from contextlib import contextmanager

import httpx
from django.db import connection

from apps.sandbox import wms
from apps.sandbox.models import SandboxWarehouse, SandboxWmsWebhook
from apps.sandbox.simulation import sign

MAX_WEBHOOK_ATTEMPTS = 5
# pg_try_advisory_lock key: "WMS" in ASCII, unique among this project's advisory locks.
STEP_LOCK = 0x574D53


@contextmanager
def _only_one_step():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [STEP_LOCK])
        got = cursor.fetchone()[0]
    try:
        yield got
    finally:
        if got:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [STEP_LOCK])


def post_webhook(warehouse: SandboxWarehouse, payload: dict) -> bool:
    body = json.dumps(payload).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Wms-Signature": sign(warehouse.webhook_secret, int(time.time()), body),
    }
    try:
        response = httpx.post(warehouse.webhook_url, content=body, headers=headers, timeout=5)
    except httpx.HTTPError:
        return False
    return response.status_code < 300


def send_due_wms_webhooks(*, limit: int = 200) -> int:
    """Post the webhooks each warehouse owes; return how many posts were made."""
    posts = 0
    for warehouse in SandboxWarehouse.objects.exclude(webhook_url="").exclude(webhook_secret=""):
        due = list(
            SandboxWmsWebhook.objects.filter(warehouse_code=warehouse.code, state="pending").order_by("id")[:limit]
        )
        if warehouse.webhook_delay_rate:
            due = [w for w in due if random.random() >= warehouse.webhook_delay_rate]
        if warehouse.webhook_shuffle:
            random.shuffle(due)
        for webhook in due:
            if warehouse.webhook_drop_rate and random.random() < warehouse.webhook_drop_rate:
                SandboxWmsWebhook.objects.filter(pk=webhook.pk).update(state="dropped")
                continue
            times = 2 if warehouse.webhook_duplicate_rate and random.random() < warehouse.webhook_duplicate_rate else 1
            delivered = all([post_webhook(warehouse, webhook.payload) for _ in range(times)])
            posts += times
            attempts = webhook.attempts + 1
            state = "sent" if delivered else ("failed" if attempts >= MAX_WEBHOOK_ATTEMPTS else "pending")
            SandboxWmsWebhook.objects.filter(pk=webhook.pk).update(state=state, attempts=attempts)
    return posts


def run_step() -> dict | None:
    """One step of every sandbox warehouse; None when another step is running."""
    with _only_one_step() as got:
        if not got:
            return None
        moved = wms.advance_due_orders()
        drifted = sum(wms.stock_drift(w) for w in SandboxWarehouse.objects.exclude(drift_rate=0))
        posts = send_due_wms_webhooks()
    return {"moved": moved, "drifted": drifted, "webhook_posts": posts}
