"""A booking that fails for good sends the order to the next eligible carrier, and says why."""

from decimal import Decimal

from apps.common import outbox
from apps.distribution.models import DistributionOrder
from apps.distribution.services import distribution_order_book
from apps.distribution.tests.test_distribution_services import RefusingGateway
from apps.fulfillment.models import FulfillmentOrder
from apps.orders.models import Order
from apps.orders.tests.factories import order_draft
from apps.resources.services import merchant_preferences_set
from apps.resources.tests.factories import CoverageFactory
from apps.scheduling.models import LaneEntry
from apps.shipping.services import order_submit


def _submitted(merchant):
    order = order_submit(merchant_id=merchant.pk, draft=order_draft(reference="RR-1"), actor="t", channel="api")
    outbox.drain(run_tasks=False)
    return order


def test_a_refused_booking_is_rerouted_to_the_next_cheapest_carrier(merchant, cn_de_service):
    CoverageFactory(service__carrier__code="backup-post", service__base_price=Decimal("30.00"))
    order = _submitted(merchant)
    first = DistributionOrder.objects.get(order_id=order.pk)
    assert first.carrier_code == "test-post"

    distribution_order_book(distribution_order_id=first.pk, gateway=RefusingGateway())
    outbox.drain(run_tasks=False)

    row = Order.objects.get(pk=order.pk)
    second = DistributionOrder.objects.filter(order_id=order.pk).exclude(pk=first.pk).get()
    assert (row.state, row.carrier_code, second.carrier_code, second.state) == (
        "in_fulfillment",
        "backup-post",
        "backup-post",
        "created",
    )
    reroute = row.history.get(transition="reroute")
    assert "booking at test-post failed: Carrier refused: postcode not served" in reroute.reason
    assert "re-routed from test-post/standard to backup-post/standard" in reroute.reason
    fulfillment = FulfillmentOrder.objects.get(order_id=order.pk)
    assert fulfillment.state == "in_progress"
    assert list(fulfillment.legs.values_list("sequence", "leg_id")) == [(1, first.pk), (2, second.pk)]
    assert list(LaneEntry.objects.filter(order_id=order.pk).order_by("id").values_list("state", flat=True)) == [
        "failed",
        "released",
    ]


def test_with_no_carrier_left_the_order_is_flagged_with_the_reason(merchant, cn_de_service):
    order = _submitted(merchant)
    first = DistributionOrder.objects.get(order_id=order.pk)

    distribution_order_book(distribution_order_id=first.pk, gateway=RefusingGateway())
    outbox.drain(run_tasks=False)

    row = Order.objects.get(pk=order.pk)
    assert row.state == "exception"
    flagged = row.history.get(to_state="exception")
    assert "no other carrier can take it (tried test-post)" in flagged.reason
    assert FulfillmentOrder.objects.get(order_id=order.pk).state == "failed"


def test_a_reroute_skips_the_carriers_the_merchant_blocked(merchant, cn_de_service):
    CoverageFactory(service__carrier__code="blocked-post", service__base_price=Decimal("20.00"))
    CoverageFactory(service__carrier__code="backup-post", service__base_price=Decimal("30.00"))
    merchant_preferences_set(merchant_id=merchant.pk, preferred=[], blocked=["blocked-post"])
    order = _submitted(merchant)
    first = DistributionOrder.objects.get(order_id=order.pk)

    distribution_order_book(distribution_order_id=first.pk, gateway=RefusingGateway())
    outbox.drain(run_tasks=False)

    row = Order.objects.get(pk=order.pk)
    assert (row.state, row.carrier_code) == ("in_fulfillment", "backup-post")
    assert row.route_explanation["rerouted_from"] == "test-post/standard"
    assert row.history.get(transition="reroute").actor == "system:scheduling"
