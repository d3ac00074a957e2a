"""100,000 closed orders archived by the real command, killed part-way and run again: the
counts add up, nothing is lost and nothing is archived twice."""

import signal
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.db import connection

from apps.common.testing import process_env
from apps.orders.models import ArchivedOrder, Item, Order, OrderTransition, Parcel
from apps.orders.tests.bulk import bulk_insert_contents, bulk_insert_orders

ORDERS = 100_000
KILL_AFTER = 30_000
COMMAND = [sys.executable, "manage.py", "archive_orders", "--older-than-days", "30", "--batch-size", "1000"]


def _counts() -> dict[str, int]:
    return {
        "orders": Order.objects.count(),
        "parcels": Parcel.objects.count(),
        "items": Item.objects.count(),
        "transitions": OrderTransition.objects.count(),
    }


def _archived_contents() -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*), count(DISTINCT id),
                   COALESCE(sum(jsonb_array_length(document->'parcels')), 0),
                   COALESCE(sum((SELECT sum(jsonb_array_length(p->'items'))
                                 FROM jsonb_array_elements(document->'parcels') p)), 0),
                   COALESCE(sum(jsonb_array_length(document->'history')), 0)
            FROM orders_archivedorder
            """
        )
        orders, distinct, parcels, items, transitions = cursor.fetchone()
    return {"orders": orders, "distinct": distinct, "parcels": parcels, "items": items, "transitions": transitions}


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_archiving_killed_part_way_and_run_again_loses_nothing_and_copies_nothing_twice(merchant):
    bulk_insert_orders(merchant_id=merchant.pk, count=ORDERS, state="delivered", days_ago=100)
    bulk_insert_contents(merchant_id=merchant.pk)
    before = _counts()
    assert before == {"orders": ORDERS, "parcels": ORDERS, "items": ORDERS, "transitions": ORDERS}

    first = subprocess.Popen(COMMAND, cwd=settings.BASE_DIR, env=process_env())
    deadline = time.monotonic() + 120
    while ArchivedOrder.objects.count() < KILL_AFTER and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    killed_at = ArchivedOrder.objects.count()
    assert first.returncode == -signal.SIGKILL, "the job finished before it could be killed"
    assert KILL_AFTER <= killed_at < ORDERS

    second = subprocess.run(COMMAND, cwd=settings.BASE_DIR, env=process_env(), capture_output=True, text=True)
    assert second.returncode == 0, second.stderr

    hot, archived = _counts(), _archived_contents()
    assert hot == {"orders": 0, "parcels": 0, "items": 0, "transitions": 0}
    assert archived == {
        "orders": ORDERS,
        "distinct": ORDERS,
        **{k: ORDERS for k in ("parcels", "items", "transitions")},
    }
    # One event per committed batch, naming each order exactly once across all batches.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), count(DISTINCT x) FROM common_outboxevent,"
            " jsonb_array_elements_text(payload->'order_ids') x WHERE event_type = 'orders.orders.archived'"
        )
        assert cursor.fetchone() == (ORDERS, ORDERS)
