"""Every call to a warehouse's WMS is lane work on the warehouse's lane, behind its breaker: the WMS
down holds the work without losing it, and once back each warehouse order reaches it once."""

import datetime
from datetime import UTC

import pytest
import time_machine

from apps.common import outbox
from apps.orders.tests.factories import create_order, fixed_route, item_draft, parcel_draft
from apps.resources.tests.factories import CoverageFactory
from apps.scheduling.models import Lane, LaneEntry
from apps.scheduling.services import lane_pause, lane_sweep, lane_warehouse_enqueue_due
from apps.warehouse.models import ReconciliationReport, Stock, WarehouseOrder
from apps.warehouse.services import asn_create
from apps.warehouse.tests.test_orders import stock
from apps.warehouse.tests.test_sandbox_wms import SandboxWarehouse

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.clock]

START = datetime.datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def wms(live_server, merchant):
    warehouse = SandboxWarehouse(live_server, "hk-1")
    warehouse.stock({"MUG": 100})
    stock("MUG", 100, merchant_id=merchant.pk)
    CoverageFactory(
        service__carrier__code="hk-post",
        service__carrier__endpoint_url=f"{live_server.url}/sandbox/carriers/hk-post/",
        origin_country="HK",
    )
    return warehouse


def _order(merchant, n):
    return create_order(
        merchant_id=merchant.pk,
        route=fixed_route(carrier_code="hk-post", warehouse_code="hk-1"),
        reference=f"WD-{n}",
        parcels=(parcel_draft(items=(item_draft(sku="MUG", quantity=1, description="Mug"),)),),
    )


def test_the_wms_down_holds_its_work_on_the_lane_and_once_back_each_order_reaches_it_once(merchant, wms, settings):
    settings.CARRIER_BREAKER_FAIL_MAX = 2
    settings.CARRIER_BREAKER_RESET_SECONDS = 60
    wms.knobs(outage=True)
    with time_machine.travel(START, tick=False) as clock:
        orders = [_order(merchant, n) for n in range(5)]
        outbox.drain()
        lane = Lane.objects.get(key="warehouse:hk-1")
        held = lane.hold_reason
        calls_while_down = sum(len(wms.orders(f"WO-{wo.pk}")) for wo in WarehouseOrder.objects.all())

        wms.knobs(outage=False)
        for _ in range(8):  # the breaker's probe, then the backlog at the lane's pace
            clock.shift(datetime.timedelta(seconds=61))
            lane_sweep()
            outbox.drain()

    warehouse_orders = list(WarehouseOrder.objects.filter(order_id__in=[o.pk for o in orders]))
    assert "breaker open" in held
    assert calls_while_down == 0  # refused at the door: the WMS took nothing while down
    assert len(warehouse_orders) == 5
    assert all(wo.state in ("submitted", "accepted") for wo in warehouse_orders)
    assert [wms.orders(f"WO-{wo.pk}")[0]["create_attempts"] for wo in warehouse_orders] == [1] * 5
    submitted = LaneEntry.objects.filter(kind="wms_submit", lane__key="warehouse:hk-1")
    assert sorted(submitted.values_list("state", flat=True)) == ["completed"] * 5


def test_beat_queues_one_poll_and_one_snapshot_per_warehouse_and_an_asn_is_announced_through_the_lane(merchant, wms):
    asn = asn_create(merchant_id=merchant.pk, warehouse_code="hk-1", lines=[("MUG", 20)])
    outbox.drain()
    lane = Lane.objects.get(key="warehouse:hk-1")
    lane_pause(lane_id=lane.pk, paused=True, actor="test")

    queued = [lane_warehouse_enqueue_due(), lane_warehouse_enqueue_due()]
    lane_pause(lane_id=lane.pk, paused=False, actor="test")
    outbox.drain()

    asn.refresh_from_db()
    assert asn.status == "announced"
    assert queued == [2, 0]  # one poll and one snapshot waiting at a time, however often beat asks
    kinds = sorted(LaneEntry.objects.filter(lane__key="warehouse:hk-1").values_list("kind", "state"))
    assert kinds == [("asn_announce", "completed"), ("wms_poll", "completed"), ("wms_snapshot", "completed")]
    assert ReconciliationReport.objects.filter(warehouse_code="hk-1").count() == 1
    assert Stock.objects.get(merchant_id=merchant.pk, warehouse_code="hk-1", sku="MUG").on_hand == 100
