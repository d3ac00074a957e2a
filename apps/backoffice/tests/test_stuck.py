"""Stuck work across the centers, grouped by reason, and the bulk actions on it: each through
the owning center's service, each in the audit trail, each allowed by role."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.utils import timezone

from apps.backoffice.models import StaffActionRecord, WorkAssignment
from apps.backoffice.selectors import stuck_work
from apps.distribution.models import DistributionOrder
from apps.distribution.services import distribution_order_create
from apps.merchants.tests.factories import UserFactory
from apps.orders.models import Order
from apps.orders.services import order_flag_exception
from apps.orders.tests.factories import create_order
from apps.scheduling.models import Lane, LaneEntry
from apps.scheduling.services import lane_enqueue, lane_entry_hold
from apps.webhooks.models import WebhookDelivery, WebhookEndpoint

STUCK = "/admin/operations/stuck/"


@pytest.fixture(autouse=True)
def _roles(staff_roles):
    pass


@pytest.fixture
def stuck(merchant, cn_de_service, settings):
    """Something stuck in each center: an order flagged for a person and one never put on a lane,
    lane work held and lane work waiting on a paused lane, a delivery whose booking never
    finished, a webhook delivery that gave up. Made two hours ago; an order's age is its id's,
    which never goes back in time, so the threshold is 0 here (see the test of fresh work)."""
    settings.STUCK_WORK_MINUTES = 0
    lane = Lane.objects.create(
        key="carrier:test-post", downstream_kind="carrier", downstream_code="test-post", paused=True
    )
    with time_machine.travel(timezone.now() - timedelta(hours=2), tick=False):
        never_scheduled = create_order(merchant_id=merchant.pk, reference="S-accepted")
        waiting, held = (create_order(merchant_id=merchant.pk, reference=f"S-{n}") for n in range(2))
        lane_enqueue(order_id=waiting.pk)
        lane_enqueue(order_id=held.pk)
        booking = create_order(merchant_id=merchant.pk, reference="S-booking")
        leg = distribution_order_create(
            order_id=booking.pk, merchant_id=merchant.pk, carrier_code="test-post", service_code="standard", actor="t"
        )
        endpoint = WebhookEndpoint.objects.create(merchant_id=merchant.pk, url="https://example.invalid/hook")
        dead = WebhookDelivery.objects.create(
            merchant_id=merchant.pk, endpoint=endpoint, event_id="e1", event_type="order.delivered", body="{}",
            state="dead", attempts=9, order_id=booking.pk,
        )  # fmt: skip
    flagged = create_order(merchant_id=merchant.pk, reference="S-flagged")
    Order.objects.filter(pk=flagged.pk).update(state="scheduled")
    order_flag_exception(order_id=flagged.pk, actor="t", reason="carrier lost it")
    lane_entry_hold(order_id=held.pk, actor="staff:earlier", reason="check")
    return {
        "flagged": flagged,
        "never_scheduled": never_scheduled,
        "waiting": waiting,
        "held": held,
        "leg": leg,
        "dead": dead,
        "lane": lane,
    }


def test_fresh_work_is_not_stuck(merchant, cn_de_service):
    create_order(merchant_id=merchant.pk, reference="fresh")  # accepted a moment ago

    assert stuck_work() == []


def _groups() -> dict[tuple[str, str], list[int]]:
    return {(g.center, g.reason): sorted(i.id for i in g.sample) for g in stuck_work()}


def test_stuck_work_is_grouped_by_center_and_reason(stuck):
    groups = _groups()

    assert groups[("orders", "flagged for a person (exception)")] == [stuck["flagged"].pk]
    assert groups[("orders", "accepted, never put on a lane")] == sorted(
        [stuck["never_scheduled"].pk, stuck["leg"].order_id]
    )
    held = LaneEntry.objects.get(order_id=stuck["held"].pk).pk
    waiting = LaneEntry.objects.get(order_id=stuck["waiting"].pk).pk
    assert groups[("scheduling", "held by operations")] == [held]
    assert groups[("scheduling", "on a paused lane")] == [waiting]  # the held one is counted once
    assert groups[("distribution", "booking not finished")] == [stuck["leg"].pk]
    assert groups[("webhooks", "gave up (dead)")] == [stuck["dead"].pk]


def _member(client, role: str):
    user = UserFactory(is_staff=True, username=f"{role}-1")
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    return user


def test_the_page_lists_every_group_with_its_count(client, stuck):
    _member(client, "support")

    page = client.get(STUCK)

    html = page.content.decode()
    assert page.status_code == 200
    assert "scheduling: held by operations — 1" in html
    assert "webhooks: gave up (dead) — 1" in html
    assert f'value="lane_entry:{LaneEntry.objects.get(order_id=stuck["waiting"].pk).pk}:' in html


def test_support_retries_stuck_work_through_its_centers_and_each_is_audited(client, stuck):
    _member(client, "support")
    entry = LaneEntry.objects.get(order_id=stuck["waiting"].pk)
    dead, leg = stuck["dead"], stuck["leg"]

    answer = client.post(
        STUCK,
        {
            "action": "retry",
            "items": [
                f"lane_entry:{entry.pk}:{entry.order_id}:{entry.merchant_id}",
                f"webhook_delivery:{dead.pk}:{dead.order_id}:{dead.merchant_id}",
                f"distribution_order:{leg.pk}:{leg.order_id}:{leg.merchant_id}",
            ],
        },
        follow=True,
    )

    assert "Retry: 3 done." in answer.content.decode()
    entry.refresh_from_db()
    assert entry.history.get(transition="retry").actor == "staff:support-1"
    dead.refresh_from_db()
    assert dead.state == "pending"
    assert sorted(StaffActionRecord.objects.values_list("subject_kind", "outcome", "actor")) == [
        ("distribution_order", "done", "staff:support-1"),
        ("lane_entry", "done", "staff:support-1"),
        ("webhook_delivery", "done", "staff:support-1"),
    ]


def test_stuck_work_is_handed_to_a_person_once_with_a_note(client, stuck):
    _member(client, "support")
    colleague = UserFactory(is_staff=True, username="anna")
    leg = stuck["leg"]
    item = f"distribution_order:{leg.pk}:{leg.order_id}:{leg.merchant_id}"

    client.post(STUCK, {"action": "assign", "items": [item], "assignee": colleague.pk, "note": "call the carrier"})
    again = client.post(
        STUCK, {"action": "assign", "items": [item], "assignee": colleague.pk, "note": "again"}, follow=True
    )

    assignment = WorkAssignment.objects.get()
    assert (assignment.assignee, assignment.note, assignment.assigned_by) == (
        colleague,
        "call the carrier",
        "staff:support-1",
    )
    assert "already with anna" in again.content.decode()
    assert list(StaffActionRecord.objects.order_by("id").values_list("action", "outcome")) == [
        ("assign", "done"),
        ("assign", "refused"),
    ]
    order_page = client.get(f"/admin/orders/order/{leg.order_id}/change/").content.decode()
    assert "call the carrier" in order_page  # the order page shows to whom its work was handed


def test_handing_over_needs_a_person_and_a_note(client, stuck):
    _member(client, "support")
    leg = stuck["leg"]

    answer = client.post(
        STUCK, {"action": "assign", "items": [f"distribution_order:{leg.pk}:{leg.order_id}:"]}, follow=True
    )

    assert answer.status_code == 200
    assert "Choose the person" in answer.content.decode()
    assert not WorkAssignment.objects.exists()


def test_support_may_not_cancel_or_reroute_and_nothing_changes(client, stuck):
    _member(client, "support")
    order = stuck["waiting"]

    page = client.get(STUCK)
    answer = client.post(STUCK, {"action": "cancel", "items": [f"order:{order.pk}:{order.pk}:"]}, follow=True)

    choices = {value for value, _ in page.context["form"].fields["action"].choices}
    assert choices == {"retry", "assign"}
    assert answer.status_code == 200  # the form refuses an action the role does not have
    assert Order.objects.get(pk=order.pk).state == "scheduled"


def test_administrators_cancel_stuck_orders_in_bulk(client, stuck):
    _member(client, "administrators")
    orders = [stuck["waiting"], stuck["never_scheduled"]]

    client.post(STUCK, {"action": "cancel", "items": [f"order:{o.pk}:{o.pk}:" for o in orders], "note": "bulk"})

    assert set(Order.objects.filter(pk__in=[o.pk for o in orders]).values_list("state", flat=True)) == {"cancelled"}
    assert StaffActionRecord.objects.filter(action="cancel", outcome="done").count() == 2


def test_finance_reads_the_page_but_takes_no_action(client, stuck):
    _member(client, "finance")

    page = client.get(STUCK)

    assert page.status_code == 200
    assert "takes no action here" in page.content.decode()


@pytest.mark.parametrize("bad", ["order:x:1:", "nonsense", "robot:1::", ""])
def test_malformed_selections_are_refused_without_a_500(client, stuck, bad):
    _member(client, "administrators")

    answer = client.post(STUCK, {"action": "retry", "items": [bad]}, follow=True)

    assert answer.status_code == 200
    assert not StaffActionRecord.objects.exists()


def test_distribution_order_is_untouched_by_a_refused_retry(client, stuck):
    _member(client, "support")
    flagged = stuck["flagged"]  # no delivery: nothing to retry

    answer = client.post(STUCK, {"action": "retry", "items": [f"order:{flagged.pk}:{flagged.pk}:"]}, follow=True)

    assert "has no delivery to retry yet" in answer.content.decode()
    assert not DistributionOrder.objects.filter(order_id=flagged.pk).exists()


def test_an_assignment_is_closed_from_the_admin_and_the_closing_is_audited(client, stuck):
    user = _member(client, "support")
    leg = stuck["leg"]
    client.post(
        STUCK,
        {
            "action": "assign",
            "items": [f"distribution_order:{leg.pk}:{leg.order_id}:"],
            "assignee": user.pk,
            "note": "x",
        },
    )
    assignment = WorkAssignment.objects.get()

    client.post("/admin/backoffice/workassignment/", {"action": "close", "_selected_action": [assignment.pk]})

    assignment.refresh_from_db()
    assert assignment.closed_at is not None
    assert StaffActionRecord.objects.filter(action="close_assignment", actor="staff:support-1").exists()
    assert client.get("/admin/backoffice/staffactionrecord/").status_code == 200


def test_a_warehouse_order_left_unsent_is_stuck_and_a_retry_queues_its_wms_call_again(client, merchant, settings):
    from apps.resources.services import warehouse_upsert
    from apps.warehouse.models import WarehouseOrder

    settings.STUCK_WORK_MINUTES = 0
    warehouse_upsert(
        code="hk-1",
        name="HK",
        country="HK",
        city="Hong Kong",
        ships_to=["DE"],
        endpoint_url="http://127.0.0.1:9/wms/hk-1/",
        handling_fee=0,
        currency="USD",
        carrier_codes=[],
    )
    with time_machine.travel(timezone.now() - timedelta(hours=2), tick=False):
        unsent = WarehouseOrder.objects.create(order_id=77, merchant_id=merchant.pk, warehouse_code="hk-1")
        WarehouseOrder.objects.filter(pk=unsent.pk).update(state="allocated")
        backordered = WarehouseOrder.objects.create(order_id=78, merchant_id=merchant.pk, warehouse_code="hk-1")
        WarehouseOrder.objects.filter(pk=backordered.pk).update(state="backordered")
    _member(client, "support")

    groups = _groups()
    answer = client.post(
        STUCK,
        {
            "action": "retry",
            "items": [
                f"warehouse_order:{unsent.pk}:77:{merchant.pk}",
                f"warehouse_order:{backordered.pk}:78:{merchant.pk}",
            ],
        },
        follow=True,
    )

    assert groups[("warehouse", "allocated, not sent to the WMS")] == [unsent.pk]
    assert groups[("warehouse", "backordered, waiting for stock")] == [backordered.pk]
    work = LaneEntry.objects.get(kind="wms_submit", warehouse_order_id=unsent.pk)
    assert work.lane.key == "warehouse:hk-1"
    assert "waits for stock or a person" in answer.content.decode()
    assert sorted(StaffActionRecord.objects.values_list("subject_kind", "outcome")) == [
        ("warehouse_order", "done"),
        ("warehouse_order", "refused"),
    ]
