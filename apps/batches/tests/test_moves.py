"""A batch's moves to its service run on a worker after *Buy*: a chunk a transaction, each order
judged again when the worker comes to it, and a run again (after a crash, or a second delivery of
the task) moves only what is left. The task runs as Celery runs it (`apply`, eager), or through
the outbox's drain, which applies routed tasks the same way."""

import html
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone, translation

from apps.batches import services
from apps.batches.events import BATCH_BOUGHT
from apps.batches.exceptions import BatchMovesWaiting
from apps.batches.models import BatchOrder, LabelBatch
from apps.batches.selectors import label_batch_progress
from apps.batches.services import ACCEPTED_WAIT, label_batch_create, label_batch_reroute
from apps.batches.tasks import move_batch_orders
from apps.batches.tests.conftest import book_all, submit, waiting_orders
from apps.common import outbox
from apps.common.models import OutboxEvent
from apps.merchants.tests.two_factor import TwoFactorClient
from apps.orders.models import Order
from apps.orders.selectors import order_history
from apps.orders.services import order_flag_exception
from apps.scheduling.models import Lane
from apps.scheduling.services import lane_pause
from apps.shipping.services import order_reroute_by_operations

pytestmark = pytest.mark.django_db(transaction=True)

FAST = ("fast-post", "express")


def _buy(merchant, user, orders, chosen_route=FAST):
    batch, _ = label_batch_create(
        merchant_id=merchant.pk,
        user=user,
        order_ids=[o.id for o in orders],
        chosen_route=chosen_route,
        idempotency_key=uuid.uuid4(),
    )
    return batch


def _moves(order) -> int:
    return sum(1 for step in order_history(order_id=order.id) if step.transition == "reroute")


def _carriers(orders) -> list[str]:
    return [Order.objects.get(pk=o.pk).carrier_code for o in orders]


@pytest.fixture
def reroutes(monkeypatch):
    """The orders the batch asked shipping to move, in order; `crash_at` (a call number) makes
    that call fail as a worker dying in the middle of a chunk would."""
    calls = []
    crash_at = []

    def spy(**kwargs):
        calls.append(kwargs["order_id"])
        if crash_at and len(calls) == crash_at[0]:
            raise RuntimeError("worker lost")
        return order_reroute_by_operations(**kwargs)

    monkeypatch.setattr(services, "order_reroute_by_operations", spy)
    return calls, crash_at


def test_buy_records_the_batch_and_a_worker_moves_its_orders(merchant, merchant_user, carriers):
    orders = waiting_orders(merchant, 2)

    batch = _buy(merchant, merchant_user, orders)

    assert _carriers(orders) == ["work-post", "work-post"]
    assert set(batch.orders.values_list("reroute", flat=True)) == {"pending"}
    event = OutboxEvent.objects.get(event_type=BATCH_BOUGHT)
    assert event.payload == {"batch_id": batch.pk, "moves": 2} and event.merchant_id == merchant.pk
    progress = label_batch_progress(batch=batch)
    assert (progress.waiting, progress.moving, progress.done) == (2, 2, False)

    client = TwoFactorClient()  # its login passes the two-factor step, as the owner would
    client.force_login(merchant_user)
    page = client.get(f"/batches/{batch.pk}/").content.decode()
    # Without JavaScript the page reloads itself until every label is in (refresh.js redraws in place).
    assert '<noscript><meta http-equiv="refresh" content="5"></noscript>' in page
    assert "2 orders are being moved to the batch's service first." in html.unescape(page)

    assert move_batch_orders.apply(kwargs={"batch_id": batch.pk}, throw=True).get() == 2

    assert _carriers(orders) == ["fast-post", "fast-post"]
    assert set(batch.orders.values_list("reroute", flat=True)) == {"done"}
    book_all()
    progress = label_batch_progress(batch=batch)
    assert (progress.labelled, progress.waiting, progress.moving, progress.done) == (2, 0, 0, True)
    page = client.get(f"/batches/{batch.pk}/").content.decode()
    assert "http-equiv" not in page and "2 of 2 labels ready" in page


def test_a_batch_without_moves_leaves_no_work_for_a_worker(merchant, merchant_user, carriers):
    orders = waiting_orders(merchant, 1)

    batch = _buy(merchant, merchant_user, orders, chosen_route=None)

    assert not OutboxEvent.objects.filter(event_type=BATCH_BOUGHT).exists()
    assert list(batch.orders.values_list("action", "reroute")) == [("buy", "")]


def test_a_run_again_after_a_crash_midway_moves_each_order_once(
    merchant, merchant_user, carriers, reroutes, monkeypatch
):
    orders = waiting_orders(merchant, 5)
    batch = _buy(merchant, merchant_user, orders)
    monkeypatch.setattr(services, "REROUTE_CHUNK", 2)
    calls, crash_at = reroutes
    crash_at.append(4)  # the second chunk: its first order is moved, then the worker dies

    with pytest.raises(RuntimeError):
        move_batch_orders.apply(kwargs={"batch_id": batch.pk}, throw=True)

    # The first chunk is committed; the second rolled back with its first move; the rest untouched.
    assert _carriers(orders) == ["fast-post", "fast-post", "work-post", "work-post", "work-post"]
    assert list(batch.orders.order_by("position").values_list("reroute", flat=True)) == [
        "done",
        "done",
        "pending",
        "pending",
        "pending",
    ]
    assert label_batch_progress(batch=batch).moving == 3

    calls.clear()
    crash_at.clear()
    assert move_batch_orders.apply(kwargs={"batch_id": batch.pk}, throw=True).get() == 3

    assert calls == [o.id for o in orders[2:]]  # the moved ones are not asked for again
    assert [_moves(o) for o in orders] == [1, 1, 1, 1, 1]
    assert _carriers(orders) == ["fast-post"] * 5
    # A second delivery of the task (the outbox publishes again when unsure) finds nothing to do.
    assert move_batch_orders.apply(kwargs={"batch_id": batch.pk}, throw=True).get() == 0
    assert calls == [o.id for o in orders[2:]]
    book_all()
    assert label_batch_progress(batch=batch).labelled == 5


def test_an_order_labelled_before_the_worker_comes_keeps_its_label(merchant, merchant_user, carriers, reroutes):
    orders = waiting_orders(merchant, 1)
    batch = _buy(merchant, merchant_user, orders)
    # The relay has handed the batch to a worker busy elsewhere; meanwhile the lane lets the order through.
    OutboxEvent.objects.filter(event_type=BATCH_BOUGHT).update(relayed_at="2026-01-01T00:00:00Z")
    lane_pause(lane_id=Lane.objects.get(key="carrier:work-post").pk, paused=False, actor="ops")
    book_all()
    tracking = Order.objects.get(pk=orders[0].pk).tracking_number
    assert tracking

    assert move_batch_orders.apply(kwargs={"batch_id": batch.pk}, throw=True).get() == 0

    calls, _ = reroutes
    assert calls == []
    order = Order.objects.get(pk=orders[0].pk)
    assert (order.carrier_code, order.tracking_number) == ("work-post", tracking)
    assert list(batch.orders.values_list("action", "reroute")) == [("reprint", "dropped")]
    line = label_batch_progress(batch=batch).lines[0]
    assert (line.status, line.note) == ("labelled", "Labelled already with work-post/standard.")


def test_a_refused_move_says_why_in_plain_words_in_english_and_chinese(merchant, merchant_user, carriers):
    waiting, flagged = waiting_orders(merchant, 2)
    order_flag_exception(order_id=flagged.id, actor="ops", reason="address unknown")
    # A service no longer offered by the time the worker comes (the form offered it).
    batch = _buy(merchant, merchant_user, [waiting, flagged], chosen_route=("gone-post", "standard"))

    book_all()

    rows = list(batch.orders.order_by("position").values_list("action", "reroute", "note"))
    assert [row[:2] for row in rows] == [("buy", "refused"), ("buy", "refused")]
    assert all("gone-post/standard cannot take this order" in row[2] for row in rows)  # for operations
    progress = label_batch_progress(batch=batch)
    assert (progress.waiting, progress.failed, progress.moving, progress.done) == (1, 1, 0, False)
    assert [(line.status, line.note) for line in progress.lines] == [
        ("waiting", "Not moved (the chosen service cannot take this order): keeps work-post/standard."),
        ("failed", "Not booked again: the chosen service cannot take this order."),
    ]
    with translation.override("zh-hans"):
        notes = [line.note for line in label_batch_progress(batch=batch).lines]
    assert notes[0].startswith("未") and "work-post/standard" in notes[0] and "cannot" not in notes[0]
    assert "cannot" not in notes[1] and notes[1]
    assert _carriers([waiting, flagged]) == ["work-post", "work-post"]
    assert all(_moves(o) == 0 for o in (waiting, flagged))


def test_an_order_flagged_after_buy_is_booked_again_by_the_worker(merchant, merchant_user, carriers):
    (flagged,) = waiting_orders(merchant, 1)
    order_flag_exception(order_id=flagged.id, actor="ops", reason="address unknown")

    batch = _buy(merchant, merchant_user, [flagged], chosen_route=None)

    line = label_batch_progress(batch=batch).lines[0]
    assert (line.status, line.moving, line.note) == ("waiting", True, "Booking again with another carrier.")
    book_all()
    order = Order.objects.get(pk=flagged.pk)
    assert order.carrier_code == "fast-post" and order.tracking_number
    assert BatchOrder.objects.get(batch=batch).reroute == "done"
    assert label_batch_progress(batch=batch).lines[0].status == "labelled"


def test_an_order_whose_booking_call_is_under_way_keeps_its_carrier(merchant, merchant_user, carriers):
    order = submit(merchant, "U-1")
    outbox.drain(run_tasks=False)  # its lane released its booking: the call to work-post is under way
    batch = _buy(merchant, merchant_user, [order])

    assert move_batch_orders.apply(kwargs={"batch_id": batch.pk}, throw=True).get() == 0

    assert Order.objects.get(pk=order.pk).carrier_code == "work-post" and _moves(order) == 0
    line = label_batch_progress(batch=batch).lines[0]
    assert (line.status, line.moving) == ("waiting", False)
    assert line.note == "Not moved (its carrier was already booking it): keeps work-post/standard."


def test_an_order_not_on_its_lane_yet_waits_for_a_run_again(merchant, merchant_user, carriers):
    waiting_orders(merchant, 1)  # work-post's lane is held
    fresh = submit(merchant, "F-1")  # accepted; the events worker has not put it on its lane yet
    batch = _buy(merchant, merchant_user, [fresh])

    with pytest.raises(BatchMovesWaiting):
        label_batch_reroute(batch_id=batch.pk)

    assert list(batch.orders.values_list("reroute", "reason")) == [("pending", "moving")]
    assert _moves(fresh) == 0 and label_batch_progress(batch=batch).moving == 1
    outbox.drain(run_tasks=False)  # the events worker schedules it (the batch's task has its own message)
    assert move_batch_orders.apply(kwargs={"batch_id": batch.pk}, throw=True).get() == 1
    assert _carriers([fresh]) == ["fast-post"] and _moves(fresh) == 1


def test_an_order_that_never_reaches_its_lane_is_not_moved_after_a_while(merchant, merchant_user, carriers):
    fresh = submit(merchant, "F-2")
    batch = _buy(merchant, merchant_user, [fresh])
    LabelBatch.objects.filter(pk=batch.pk).update(created_at=timezone.now() - ACCEPTED_WAIT - timedelta(minutes=1))

    assert label_batch_reroute(batch_id=batch.pk) == 0

    line = label_batch_progress(batch=batch).lines[0]
    assert (line.status, line.moving) == ("waiting", False)
    assert line.note == "Not moved (it did not reach a carrier's lane in time): keeps work-post/standard."
