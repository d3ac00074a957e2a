"""Why is this order waiting? Its lane, its place, what holds it and an estimate, the same in
the selector, the API and the portal."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.merchants.services import api_key_issue
from apps.scheduling.models import Lane, LaneEntry
from apps.scheduling.selectors import order_wait
from apps.scheduling.services import lane_enqueue, lane_release


@pytest.fixture
def queue_of_three(paused_lane, make_order):
    orders = [make_order(1) for _ in range(3)]
    for order in orders:
        lane_enqueue(order_id=order.pk)
    return orders


def test_a_paused_lane_says_so_and_gives_no_estimate(paused_lane, queue_of_three):
    lane_release(lane_id=paused_lane.pk)  # finds the lane paused and records why

    wait = order_wait(order_id=queue_of_three[2].pk)

    assert (wait.lane, wait.state, wait.place, wait.held_by) == ("carrier:lane-post", "queued", 3, "paused")
    assert wait.estimate_seconds is None


def test_work_ahead_is_counted_in_the_lanes_own_order(paused_lane, queue_of_three):
    Lane.objects.filter(pk=paused_lane.pk).update(hold_reason="")

    places = [order_wait(order_id=order.pk).place for order in queue_of_three]

    assert places == [1, 2, 3]
    assert order_wait(order_id=queue_of_three[2].pk).held_by == "queue"
    assert order_wait(order_id=queue_of_three[2].pk).estimate_seconds == 1  # 3 ahead at 20 a second


def test_a_failed_attempt_waits_for_its_backoff(paused_lane, queue_of_three):
    Lane.objects.filter(pk=paused_lane.pk).update(hold_reason="")
    LaneEntry.objects.filter(order_id=queue_of_three[0].pk).update(
        not_before=timezone.now() + timedelta(seconds=40), attempts=2, last_error="carrier answered 503"
    )

    wait = order_wait(order_id=queue_of_three[0].pk)

    assert wait.held_by == "retry" and "503" in wait.reason
    assert 35 <= wait.estimate_seconds <= 40


def test_released_work_is_under_way_and_finished_work_is_not_waiting(paused_lane, queue_of_three):
    Lane.objects.filter(pk=paused_lane.pk).update(paused=False, max_in_flight=1, limits_set_by="test")
    lane_release(lane_id=paused_lane.pk)
    first = queue_of_three[0]

    assert order_wait(order_id=first.pk).held_by == "released"
    LaneEntry.objects.filter(order_id=first.pk).update(state="completed")
    assert order_wait(order_id=first.pk) is None


def test_the_api_and_the_portal_show_the_wait(client, paused_lane, queue_of_three, merchants):

    from apps.merchants.tests.factories import MembershipFactory

    lane_release(lane_id=paused_lane.pk)
    order = queue_of_three[1]
    _, key = api_key_issue(merchant=merchants[0], name="t")

    answer = client.get(f"/api/v1/orders/{order.pk}/wait/", HTTP_AUTHORIZATION=f"Bearer {key}")
    client.force_login(MembershipFactory(merchant=merchants[0]).user)
    page = client.get(f"/orders/{order.number}/").content.decode()

    assert answer.status_code == 200
    assert answer.json() | {"waiting_since": None} == {
        "waiting": True,
        "lane": "carrier:lane-post",
        "place": 2,
        "held_by": "paused",
        "reason": "paused",
        "estimate_seconds": None,
        "waiting_since": None,
    }
    assert "Place 2 in line" in page and "paused bookings with this carrier" in page
