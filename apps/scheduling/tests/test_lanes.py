"""Release order, limits and holding of a carrier's lane."""

import contextlib
import dataclasses
import time
from datetime import timedelta

from django.utils import timezone

from apps.common import outbox
from apps.common.models import OutboxEvent
from apps.distribution.models import DistributionOrder
from apps.fulfillment.models import FulfillmentOrder
from apps.orders.models import Order
from apps.resources.models import Carrier
from apps.scheduling import gate
from apps.scheduling.models import Lane, LaneChange, LaneEntry
from apps.scheduling.services import (
    lane_enqueue,
    lane_limits_set,
    lane_release,
    lane_sweep,
    lane_work_run,
    merchant_priority_set,
)
from apps.scheduling.tests.conftest import FixedGateway


def _released_order_ids(lane):
    return list(
        LaneEntry.objects.filter(lane=lane, state="released")
        .order_by("released_at", "id")
        .values_list("order_id", flat=True)
    )


def _open(lane, *, max_in_flight):
    Lane.objects.filter(pk=lane.pk).update(paused=False, max_in_flight=max_in_flight, limits_set_by="test")


def test_a_bulk_upload_does_not_hold_up_single_orders_of_anyone(paused_lane, make_order):
    bulk = [make_order(1, channel="api_bulk") for _ in range(500)]
    for order in bulk:
        lane_enqueue(order_id=order.pk)
    other_single, own_single = make_order(2), make_order(1)
    lane_enqueue(order_id=other_single.pk)
    lane_enqueue(order_id=own_single.pk)
    _open(paused_lane, max_in_flight=4)

    lane_release(lane_id=paused_lane.pk)

    released = _released_order_ids(paused_lane)
    assert len(released) == 4
    assert other_single.pk in released and own_single.pk in released
    assert LaneEntry.objects.filter(lane=paused_lane, state="queued").count() == 498


def test_express_goes_before_standard_before_economy_and_a_raised_merchant_goes_first(
    paused_lane, make_order, merchants
):
    economy = make_order(1, service_level="economy")
    standard = make_order(1, service_level="standard")
    express = make_order(1, service_level="express")
    raised = make_order(3, service_level="economy")
    for order in (economy, standard, express, raised):
        lane_enqueue(order_id=order.pk)
    merchant_priority_set(merchant_id=merchants[2].pk, boost=15, actor="ops:1")
    _open(paused_lane, max_in_flight=1)

    order_of_release = []
    for _ in range(4):
        lane_release(lane_id=paused_lane.pk)
        entry = LaneEntry.objects.get(lane=paused_lane, state="released")
        order_of_release.append(entry.order_id)
        LaneEntry.objects.filter(pk=entry.pk).update(state="completed")
        gate.release_slot(lane_key=paused_lane.key, work_id=entry.pk, max_in_flight=1)  # as its run would

    assert order_of_release == [raised.pk, express.pk, standard.pk, economy.pk]


def test_work_waiting_too_long_ages_up_a_priority_level(paused_lane, make_order, settings):
    settings.LANE_AGING_SECONDS = 60
    old = make_order(1, service_level="economy")
    lane_enqueue(order_id=old.pk)
    LaneEntry.objects.filter(order_id=old.pk).update(enqueued_at=timezone.now() - timedelta(seconds=61))

    lane_sweep()
    lane_sweep()  # aged once per waiting bound, not once per sweep

    assert LaneEntry.objects.get(order_id=old.pk).priority == 5


def test_release_only_marks_work_and_nudges_it_the_plan_and_the_call_come_after(carrier, make_order):
    order = make_order(1)

    lane_enqueue(order_id=order.pk)

    entry = LaneEntry.objects.get(order_id=order.pk)
    assert entry.state == "released" and entry.lease_until is not None
    assert Order.objects.get(pk=order.pk).state == "scheduled"  # fulfilment did not run in the release
    assert not FulfillmentOrder.objects.filter(order_id=order.pk).exists()
    nudge = OutboxEvent.objects.get(event_type="scheduling.work.released")
    assert nudge.payload["work_id"] == entry.pk


def test_released_booking_work_plans_books_and_gives_its_slot_back(
    carrier, make_order, django_capture_on_commit_callbacks
):
    order = make_order(1)
    outbox.drain(run_tasks=False)  # queued, released, planned
    entry = LaneEntry.objects.get(order_id=order.pk)
    assert Order.objects.get(pk=order.pk).state == "in_fulfillment"
    assert gate.gate_state(lane_key=entry.lane.key, max_in_flight=10).in_flight == 1

    with django_capture_on_commit_callbacks(execute=True):
        lane_work_run(work_id=entry.pk, gateway=FixedGateway())
        lane_work_run(work_id=entry.pk, gateway=FixedGateway())  # a doubled nudge changes nothing

    entry.refresh_from_db()
    assert entry.state == "completed"
    assert DistributionOrder.objects.get(order_id=order.pk).state == "booked"
    assert gate.gate_state(lane_key=entry.lane.key, max_in_flight=10).in_flight == 0


def test_with_redis_unreachable_nothing_is_released_and_the_lane_says_why_then_resumes(
    paused_lane, make_order, redis_down
):
    order = make_order(1)
    lane_enqueue(order_id=order.pk)
    Lane.objects.filter(pk=paused_lane.pk).update(paused=False)

    held = lane_release(lane_id=paused_lane.pk)

    lane = Lane.objects.get(pk=paused_lane.pk)
    assert held == 0
    assert lane.hold_reason == "redis unreachable" and lane.held_since is not None
    assert LaneEntry.objects.get(order_id=order.pk).state == "queued"

    redis_down()  # Redis answers again
    lane_sweep()

    assert LaneEntry.objects.get(order_id=order.pk).state == "released"
    assert Lane.objects.get(pk=paused_lane.pk).hold_reason == ""


def test_an_open_breaker_holds_the_lane(carrier, make_order, settings):
    from apps.distribution import health
    from apps.distribution.exceptions import CarrierTransientError

    def failing():
        raise CarrierTransientError("down")

    for _ in range(settings.CARRIER_BREAKER_FAIL_MAX):
        with contextlib.suppress(CarrierTransientError):
            health.guarded_call("lane-post", failing)
    order = make_order(1)

    lane_enqueue(order_id=order.pk)

    entry = LaneEntry.objects.get(order_id=order.pk)
    assert (entry.state, entry.attempts) == ("queued", 0)
    assert entry.lane.hold_reason == "breaker open"


def test_released_work_whose_lease_ran_out_goes_back_and_its_slot_is_free(carrier, make_order, settings):
    settings.LANE_LEASE_SECONDS = 0.3
    Lane.objects.create(
        key="carrier:lane-post",
        downstream_kind="carrier",
        downstream_code="lane-post",
        limits_set_by="t",
        max_in_flight=1,
    )
    first, second = make_order(1), make_order(2)
    lane_enqueue(order_id=first.pk)
    lane_enqueue(order_id=second.pk)
    stuck = LaneEntry.objects.get(order_id=first.pk)
    assert (stuck.state, LaneEntry.objects.get(order_id=second.pk).state) == ("released", "queued")

    time.sleep(0.4)  # its worker died: no news, and the lease runs out, in the database and at the gate
    lane_sweep()

    assert LaneEntry.objects.get(pk=stuck.pk).history.filter(transition="requeue", reason="lease expired").exists()
    # The slot came back: the lane moves again (the older work first, in fair order).
    assert LaneEntry.objects.get(pk=stuck.pk).state == "released"
    assert LaneEntry.objects.get(order_id=second.pk).state == "queued"


def test_an_edited_limit_is_kept_over_the_carriers_and_recorded(carrier, make_order):
    order = make_order(1)
    lane_enqueue(order_id=order.pk)
    lane = Lane.objects.get(key="carrier:lane-post")
    assert (lane.requests_per_second, lane.burst, lane.max_in_flight) == (20, 40, 10)

    lane_limits_set(lane_id=lane.pk, actor="user:7", requests_per_second=3, max_in_flight=2)
    Carrier.objects.filter(code="lane-post").update(requests_per_second=50, max_concurrent_calls=30)
    lane_release(lane_id=lane.pk)

    lane.refresh_from_db()
    assert (lane.requests_per_second, lane.max_in_flight, lane.limits_set_by) == (3, 2, "user:7")
    change = LaneChange.objects.get(lane=lane)
    assert change.actor == "user:7"
    assert change.old == {"requests_per_second": 20, "burst": 40, "max_in_flight": 10}
    assert change.new == {"requests_per_second": 3, "burst": 40, "max_in_flight": 2}


def test_a_lane_not_edited_follows_its_carrier(carrier, make_order):
    lane_enqueue(order_id=make_order(1).pk)
    Carrier.objects.filter(code="lane-post").update(requests_per_second=7, max_concurrent_calls=4)

    lane_release(lane_id=Lane.objects.get(key="carrier:lane-post").pk)

    lane = Lane.objects.get(key="carrier:lane-post")
    assert (lane.requests_per_second, lane.burst, lane.max_in_flight, lane.limits_set_by) == (7, 14, 4, "")


def test_an_edit_in_the_admin_is_kept_and_audited(admin_client, admin_user, carrier, make_order):
    lane_enqueue(order_id=make_order(1).pk)
    lane = Lane.objects.get(key="carrier:lane-post")

    response = admin_client.post(
        f"/admin/scheduling/lane/{lane.pk}/change/",
        {
            "requests_per_second": 4,
            "burst": 8,
            "max_in_flight": 10,
            "changes-TOTAL_FORMS": 0,
            "changes-INITIAL_FORMS": 0,
        },
    )

    assert response.status_code == 302
    lane.refresh_from_db()
    assert (lane.requests_per_second, lane.burst, lane.limits_set_by) == (4, 8, f"staff:{admin_user.get_username()}")
    assert LaneChange.objects.get(lane=lane).new["requests_per_second"] == 4


def test_a_booking_answer_without_a_label_queues_a_label_fetch_on_the_carriers_lane(
    carrier, make_order, django_capture_on_commit_callbacks
):
    class LabelLaterGateway(FixedGateway):
        """A carrier that makes its label after the booking."""

        def book(self, request):
            return dataclasses.replace(super().book(request), label_pdf=b"")

    order = make_order(1)
    lane_enqueue(order_id=order.pk)
    work = LaneEntry.objects.get(order_id=order.pk, kind="book")
    OutboxEvent.objects.update(relayed_at=timezone.now())  # what led here was handled
    with django_capture_on_commit_callbacks(execute=True):
        lane_work_run(work_id=work.pk, gateway=LabelLaterGateway())
    outbox.drain(run_tasks=False)

    fetch = LaneEntry.objects.get(order_id=order.pk, kind="label")
    assert fetch.lane.key == "carrier:lane-post"
    assert fetch.distribution_order_id == DistributionOrder.objects.get(order_id=order.pk).pk


def test_an_order_cancelled_before_its_acceptance_was_handled_is_not_scheduled(carrier, make_order):
    from apps.orders.services import order_cancel

    order = make_order(1)
    order_cancel(merchant_id=order.merchant_id, order_id=order.pk, actor="user:1", reason="changed my mind")

    assert lane_enqueue(order_id=order.pk) is None
    assert Order.objects.get(pk=order.pk).state == "cancelled"
    assert not LaneEntry.objects.filter(order_id=order.pk).exists()
