"""Plans of three legs: first mile to the origin hub, a line haul container, last mile by the
destination carrier; what the order and the buyer see of them, and how a leg is undone."""

import datetime
from datetime import UTC

import pytest
import time_machine

from apps.common import outbox
from apps.distribution.gateways import TrackingUpdate
from apps.distribution.models import CarrierCall, DistributionOrder
from apps.distribution.services import tracking_apply
from apps.fulfillment.models import Consolidation, FulfillmentLeg, FulfillmentOrder, PlanStep
from apps.fulfillment.selectors import order_timeline
from apps.fulfillment.services import (
    consolidation_arrive,
    consolidation_depart,
    consolidations_close_due,
    fulfillment_steps_retry,
)
from apps.orders.models import Order
from apps.orders.services import order_cancel
from apps.orders.tests.factories import create_order, fixed_route
from apps.resources.models import LineHaul
from apps.resources.tests.factories import CarrierFactory, CoverageFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.clock]

# A Thursday afternoon in Shanghai; the container leaves on Fridays at 18:00 Shanghai time.
THURSDAY = datetime.datetime(2026, 3, 5, 6, 0, tzinfo=UTC)


@pytest.fixture
def line_haul(live_server):
    last_mile = CarrierFactory(code="de-last", endpoint_url=f"{live_server.url}/sandbox/carriers/de-last/")
    haul = LineHaul.objects.create(
        code="sha-fra",
        name="Shanghai to Frankfurt by sea and rail",
        hub_name="SHA consolidation hub",
        hub_line1="88 Waigaoqiao Rd",
        hub_city="Shanghai",
        hub_postal_code="200131",
        hub_country="CN",
        destination_hub="FRA hub",
        departure_weekdays=[4],
        cutoff_time=datetime.time(18, 0),
        timezone="Asia/Shanghai",
        transit_days=18,
        last_mile_carrier=last_mile,
        last_mile_service_code="parcel",
    )
    CoverageFactory(
        service__carrier__code="cn-first",
        service__carrier__endpoint_url=f"{live_server.url}/sandbox/carriers/cn-first/",
        service__code="consolidated",
        service__line_haul=haul,
    )
    return haul


def _order(merchant, reference="LH-1"):
    order = create_order(
        merchant_id=merchant.pk,
        route=fixed_route(carrier_code="cn-first", service_code="consolidated"),
        reference=reference,
    )
    outbox.drain()  # queued, released, planned, first mile booked through its lane
    return order


def _carrier_reports(distribution_order, *milestones, at):
    tracking_apply(
        distribution_order_id=distribution_order.pk,
        updates=[
            TrackingUpdate(milestone=m, carrier_status=m.upper(), description=m, location="", occurred_at=at)
            for m in milestones
        ],
    )
    outbox.drain()


def test_a_line_haul_order_goes_first_mile_container_last_mile_and_the_buyer_sees_the_last_carriers_number(
    merchant, line_haul
):
    with time_machine.travel(THURSDAY, tick=True):
        order = _order(merchant)
        first_mile = DistributionOrder.objects.get(order_id=order.pk)
        assert (first_mile.carrier_code, first_mile.state) == ("cn-first", "booked")
        assert first_mile.deliver_to["line1"] == "88 Waigaoqiao Rd"  # booked to the hub, not the buyer
        _carrier_reports(first_mile, "picked_up", "delivered", at=THURSDAY)

        order.refresh_from_db()
        assert order.state == "in_transit"  # at the hub: on its way for the buyer, not delivered
        container = Consolidation.objects.get()
        assert (container.line_haul_code, container.departs_on) == ("sha-fra", datetime.date(2026, 3, 6))

    with time_machine.travel(datetime.datetime(2026, 3, 6, 10, 1, tzinfo=UTC)):  # Friday 18:01 in Shanghai
        assert consolidations_close_due() == 1
    consolidation_depart(consolidation_id=container.pk, container_number="MSKU1234565", actor="staff:ops")
    consolidation_arrive(consolidation_id=container.pk, actor="staff:ops")
    outbox.drain()  # the last mile is booked through the destination carrier's lane

    last_mile = DistributionOrder.objects.get(order_id=order.pk, carrier_code="de-last")
    assert last_mile.state == "booked" and last_mile.deliver_to == {}
    assert list(CarrierCall.objects.filter(carrier_code="de-last").values_list("operation", "outcome")) == [
        ("book", "ok")
    ]
    order.refresh_from_db()
    assert (order.carrier_code, order.tracking_number) == ("de-last", last_mile.tracking_number)
    plan = FulfillmentOrder.objects.get(order_id=order.pk)
    assert [(leg.role, leg.state) for leg in plan.legs.order_by("sequence")] == [
        ("first_mile", "delivered"),
        ("line_haul", "arrived"),
        ("last_mile", "booked"),
    ]

    now = datetime.datetime.now(UTC)
    _carrier_reports(first_mile, "returned", at=now)  # late, stale news of the first mile changes nothing
    _carrier_reports(last_mile, "out_for_delivery", "delivered", at=now)
    order.refresh_from_db()
    plan.refresh_from_db()
    assert (order.state, order.tracking_number, plan.state) == ("delivered", last_mile.tracking_number, "completed")
    carrier_lines = [e.carrier_status for e in order_timeline(order=order) if e.kind == "tracking"]
    assert carrier_lines[:2] == ["PICKED_UP", "DELIVERED"] and carrier_lines[-1] == "DELIVERED"


def test_a_parcel_reaching_the_hub_after_the_cut_off_waits_for_the_next_container(merchant, line_haul):
    friday_evening = datetime.datetime(2026, 3, 6, 10, 30, tzinfo=UTC)  # 18:30 in Shanghai
    with time_machine.travel(friday_evening, tick=True):
        order = _order(merchant)
        _carrier_reports(DistributionOrder.objects.get(order_id=order.pk), "delivered", at=friday_evening)

    assert Consolidation.objects.get().departs_on == datetime.date(2026, 3, 13)


def test_a_last_mile_that_cannot_be_booked_flags_the_order_instead_of_routing_it_again_from_the_origin(
    merchant, line_haul
):
    with time_machine.travel(THURSDAY, tick=True):
        order = _order(merchant)
        _carrier_reports(DistributionOrder.objects.get(order_id=order.pk), "delivered", at=THURSDAY)
    container = Consolidation.objects.get()
    consolidation_depart(consolidation_id=container.pk, container_number="C1", actor="staff:ops")
    LineHaul.objects.filter(pk=line_haul.pk).update(last_mile_service_code="refused-service")
    CarrierFactory._meta.model.objects.filter(code="de-last").update(endpoint_url="http://127.0.0.1:1/")

    consolidation_arrive(consolidation_id=container.pk, actor="staff:ops")
    last_mile = DistributionOrder.objects.get(order_id=order.pk, carrier_code="de-last")
    DistributionOrder.objects.filter(pk=last_mile.pk).update(booking_attempts=99)  # its next failure is final
    outbox.drain()

    order.refresh_from_db()
    assert order.state == "exception"
    assert "waits at the hub" in order.history.latest("id").reason
    assert DistributionOrder.objects.filter(order_id=order.pk).count() == 2  # no new route from the origin
    assert CarrierCall.objects.filter(carrier_code="de-last", outcome="failed").exists()


def test_cancelling_records_a_step_per_leg_runs_it_and_voids_the_label_through_the_lane(merchant, line_haul):
    order = _order(merchant)
    first_mile = DistributionOrder.objects.get(order_id=order.pk)

    order_cancel(merchant_id=merchant.pk, order_id=order.pk, actor="user:1", reason="buyer changed their mind")
    outbox.drain()

    step = PlanStep.objects.get()
    assert (step.action, step.state, step.leg.leg_id, step.attempts) == ("cancel_delivery", "done", first_mile.pk, 1)
    first_mile.refresh_from_db()
    assert first_mile.state == "cancelled"
    voids = CarrierCall.objects.filter(carrier_code="cn-first", operation="cancel", distribution_order_id=first_mile.pk)
    assert list(voids.values_list("outcome", flat=True)) == ["ok"]  # the label voided, through the lane
    assert FulfillmentOrder.objects.get(order_id=order.pk).state == "cancelled"


def test_a_step_that_failed_stays_pending_and_beat_runs_it_again_once(merchant, line_haul):
    order = _order(merchant)
    plan = FulfillmentOrder.objects.get(order_id=order.pk)
    leg = plan.legs.get()
    step = PlanStep.objects.create(fulfillment_order=plan, leg=leg, action="cancel_delivery", reason="test")
    Order.objects.filter(pk=order.pk).update(state="cancelled")

    assert fulfillment_steps_retry() == 1
    assert fulfillment_steps_retry() == 0  # done steps are not run again

    step.refresh_from_db()
    assert (step.state, step.attempts) == ("done", 1)
    assert DistributionOrder.objects.get(pk=leg.leg_id).state == "cancelled"
    assert FulfillmentLeg.objects.filter(fulfillment_order=plan).count() == 1
