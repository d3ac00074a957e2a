"""A bulk whose web process dies half-way is finished by its retry with the same Idempotency-Key:
at once (not 409 for a minute), each order made once, and every order answered as created."""

import json
import signal
import subprocess
import sys

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from apps.common.testing import process_env
from apps.orders.models import Order
from apps.orders.tests.factories import order_payload

pytestmark = pytest.mark.django_db(transaction=True)

BULK = "/api/v1/orders/bulk/"
KEY = "bulk-killed-half-way"
# The web process: it sends the bulk and is killed (SIGKILL, nothing runs after) just after the
# order at DIE_AT was recorded, before its answer was noted: the worst moment for a retry.
DYING_WEB_PROCESS = """
import os, signal, sys
import django
django.setup()
from rest_framework.test import APIClient
from apps.erp_api import views

noted = views.idempotency_item_record

def note_or_die(**kwargs):
    if kwargs["index"] == int(os.environ["DIE_AT"]):
        os.kill(os.getpid(), signal.SIGKILL)
    noted(**kwargs)

views.idempotency_item_record = note_or_die
client = APIClient()
client.credentials(HTTP_AUTHORIZATION="Bearer " + os.environ["API_KEY"])
client.post(
    "/api/v1/orders/bulk/", sys.stdin.read(), content_type="application/json", HTTP_IDEMPOTENCY_KEY=os.environ["KEY"]
)
"""


def _orders() -> list[dict]:
    # Even ones with a reference, odd ones without: both must come out once.
    return [order_payload(reference=f"RESUME-{n}" if n % 2 == 0 else "") for n in range(8)]


def test_a_retry_after_the_web_process_died_finishes_the_bulk_and_answers_every_order(api_key, cn_de_service):
    body = json.dumps({"orders": _orders()})
    died = subprocess.run(
        [sys.executable, "-c", DYING_WEB_PROCESS],
        input=body,
        text=True,
        cwd=settings.BASE_DIR,
        env=process_env(API_KEY=api_key, KEY=KEY, DIE_AT="4", DJANGO_ALLOWED_HOSTS="testserver"),
        capture_output=True,
        timeout=120,
    )
    assert died.returncode == -signal.SIGKILL, died.stderr
    made_before = {str(o.pk): o.reference for o in Order.objects.all()}
    assert len(made_before) == 5  # orders 0 to 4; the answer for 4 was never noted

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key}")
    retry = client.post(BULK, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=KEY)

    assert retry.status_code == 200, retry.content
    answer = retry.json()
    assert (answer["created"], answer["failed"]) == (8, 0)
    assert [r["status"] for r in answer["results"]] == [201] * 8
    ids = [r["order"]["id"] for r in answer["results"]]
    assert set(ids[:5]) == set(made_before)  # order 4 known by its reference, 0 to 3 by their noted answers
    assert Order.objects.count() == 8 and len(set(ids)) == 8
    again = client.post(BULK, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=KEY)
    assert again["Idempotent-Replayed"] == "true" and again.json() == answer
