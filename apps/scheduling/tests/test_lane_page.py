"""The lanes page: what operations see of a lane, and pause, resume and drain from it."""

from django.utils import timezone

from apps.scheduling.models import Lane, LaneChange, LaneEntry
from apps.scheduling.services import lane_enqueue, lane_release, lane_work_run
from apps.scheduling.tests.conftest import FixedGateway


def _open(lane, *, max_in_flight):
    Lane.objects.filter(pk=lane.pk).update(paused=False, max_in_flight=max_in_flight, limits_set_by="test")


def test_the_lane_page_shows_depth_pace_and_each_merchants_share(admin_client, paused_lane, make_order, merchants):
    for _ in range(6):
        lane_enqueue(order_id=make_order(1).pk)
    for _ in range(2):
        lane_enqueue(order_id=make_order(2).pk)
    _open(paused_lane, max_in_flight=2)
    lane_release(lane_id=paused_lane.pk)  # one of each merchant goes first (fair queueing)

    page = admin_client.get(f"/admin/scheduling/lane/{paused_lane.pk}/change/").content.decode()

    assert '<th scope="row">Waiting</th><td>6</td>' in page
    assert '<th scope="row">Released in the last minute</th><td>2 ' in page
    merchant_rows = [
        f"<tr><td>{merchants[0].pk}</td><td>5</td><td>83 %</td><td>1</td><td>50 %</td></tr>",
        f"<tr><td>{merchants[1].pk}</td><td>1</td><td>17 %</td><td>1</td><td>50 %</td></tr>",
    ]
    assert page.index(merchant_rows[0]) < page.index(merchant_rows[1])
    assert '<th scope="row">Breaker</th><td>closed</td>' in page


def test_the_lane_list_shows_what_was_released_in_the_last_minute(admin_client, paused_lane, make_order):
    for _ in range(3):
        lane_enqueue(order_id=make_order(1).pk)
    _open(paused_lane, max_in_flight=2)
    lane_release(lane_id=paused_lane.pk)

    page = admin_client.get("/admin/scheduling/lane/").content.decode()

    assert '<td class="field-released_last_minute">2</td>' in page
    assert '<td class="field-queued">1</td>' in page


def test_pause_and_resume_from_the_lane_page_are_recorded_with_the_staff_member(
    admin_client, admin_user, paused_lane, make_order
):
    lane_enqueue(order_id=make_order(1).pk)
    url = f"/admin/scheduling/lane/{paused_lane.pk}/change/control/"

    admin_client.post(url, {"operation": "resume"})
    assert LaneEntry.objects.get(lane=paused_lane).state == "released"  # resuming releases at once
    admin_client.post(url, {"operation": "pause"})

    paused_lane.refresh_from_db()
    assert paused_lane.paused
    changes = list(LaneChange.objects.filter(lane=paused_lane).order_by("id"))
    assert [c.new["paused"] for c in changes] == [False, True]
    assert {c.actor for c in changes} == {f"staff:{admin_user.get_username()}"}
    assert admin_client.get(url).status_code == 403  # a control is a POST


def test_a_drained_lane_lets_its_waiting_work_go_then_pauses_by_itself(
    admin_client, paused_lane, make_order, django_capture_on_commit_callbacks
):
    for _ in range(3):
        lane_enqueue(order_id=make_order(1).pk)
    Lane.objects.filter(pk=paused_lane.pk).update(max_in_flight=2, limits_set_by="test")

    admin_client.post(f"/admin/scheduling/lane/{paused_lane.pk}/change/control/", {"operation": "drain"})
    paused_lane.refresh_from_db()
    assert (paused_lane.paused, paused_lane.draining) == (False, True)

    gateway = FixedGateway()
    while work := LaneEntry.objects.filter(lane=paused_lane, state="released").first():
        with django_capture_on_commit_callbacks(execute=True):  # each run gives its slot back on commit
            lane_work_run(work_id=work.pk, gateway=gateway)

    paused_lane.refresh_from_db()
    assert gateway.calls == 3
    assert (paused_lane.paused, paused_lane.draining) == (True, False)
    last = LaneChange.objects.filter(lane=paused_lane).latest("id")
    assert (last.actor, last.new) == ("system:scheduling", {"paused": True, "draining": False})
    assert LaneEntry.objects.filter(lane=paused_lane, state="completed", finished_at__lte=timezone.now()).count() == 3
