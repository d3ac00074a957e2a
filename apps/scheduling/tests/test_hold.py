"""Operations hold one order's booking on its lane while the rest of the lane goes on, and let it
go again in its old place; each step is in the work's history with the staff member."""

import pytest

from apps.scheduling.exceptions import WorkNotWaiting
from apps.scheduling.models import Lane, LaneEntry
from apps.scheduling.selectors import order_wait
from apps.scheduling.services import lane_enqueue, lane_entry_hold, lane_entry_retry, lane_entry_unhold, lane_pause


@pytest.fixture
def two_waiting(paused_lane, make_order):
    orders = [make_order(1) for _ in range(2)]
    for order in orders:
        lane_enqueue(order_id=order.pk)
    return orders


def _state(order) -> str:
    return LaneEntry.objects.get(order_id=order.pk).state


def test_a_held_booking_waits_while_the_rest_of_its_lane_goes(paused_lane, two_waiting):
    held, other = two_waiting

    lane_entry_hold(order_id=held.pk, actor="staff:oncall", reason="address check with the merchant")
    lane_pause(lane_id=paused_lane.pk, paused=False, actor="staff:oncall")

    assert (_state(held), _state(other)) == ("queued", "released")
    wait = order_wait(order_id=held.pk)
    assert (wait.held_by, wait.estimate_seconds) == ("held", None)
    assert "staff:oncall" not in wait.reason  # the merchant sees it is held, not by whom
    step = LaneEntry.objects.get(order_id=held.pk).history.get(transition="hold")
    assert (step.actor, step.reason) == ("staff:oncall", "address check with the merchant")


def test_a_released_hold_lets_the_booking_go_in_its_old_place(paused_lane, two_waiting):
    held, _ = two_waiting
    lane_entry_hold(order_id=held.pk, actor="staff:oncall", reason="check")
    lane_pause(lane_id=paused_lane.pk, paused=False, actor="staff:oncall")

    lane_entry_unhold(order_id=held.pk, actor="staff:lead")

    entry = LaneEntry.objects.get(order_id=held.pk)
    assert (entry.state, entry.held_by) == ("released", "")
    assert entry.history.get(transition="unhold").actor == "staff:lead"


def test_only_waiting_work_is_held_and_a_refusal_changes_nothing(carrier, make_order):
    order = make_order(1)
    lane_enqueue(order_id=order.pk)  # the lane has room: released at once
    assert _state(order) == "released"

    with pytest.raises(WorkNotWaiting, match="under way"):
        lane_entry_hold(order_id=order.pk, actor="staff:oncall", reason="too late")

    entry = LaneEntry.objects.get(order_id=order.pk)
    assert (entry.state, entry.held_by) == ("released", "")
    assert not entry.history.filter(transition="hold").exists()


def test_a_retry_ends_the_backoff_and_puts_the_work_first(paused_lane, two_waiting):
    first, last = two_waiting
    entry = LaneEntry.objects.get(order_id=last.pk)

    lane_entry_retry(entry_id=entry.pk, actor="staff:oncall")

    entry.refresh_from_db()
    assert entry.priority > LaneEntry.objects.get(order_id=first.pk).priority
    assert entry.history.get(transition="retry").actor == "staff:oncall"
    assert Lane.objects.get(pk=paused_lane.pk).paused  # a retry does not unpause the lane
