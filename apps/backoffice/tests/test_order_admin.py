"""Operations find any order in the admin, see what every center did with it, and act on it;
each action lands in the order's history with the staff member who took it."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.backoffice.models import StaffActionRecord
from apps.common import outbox
from apps.distribution.models import CarrierCall
from apps.distribution.services import distribution_order_create
from apps.merchants.tests.factories import MerchantFactory
from apps.orders.models import Order
from apps.orders.selectors import order_history
from apps.orders.tests.factories import address_draft, create_order, fixed_route, order_draft
from apps.resources.tests.factories import CoverageFactory
from apps.scheduling.models import Lane, LaneEntry
from apps.shipping.services import order_submit
from apps.warehouse.models import WarehouseOrder, WarehouseOrderLine, WmsCall

ORDERS = "/admin/orders/order/"


def _listed(staff_client, **params) -> list[int]:
    page = staff_client.get(ORDERS, params)
    assert page.status_code == 200
    return [order.pk for order in page.context["cl"].result_list]


def test_orders_are_found_by_number_reference_tracking_number_and_recipient(staff_client, merchant):
    anna = create_order(merchant_id=merchant.pk, reference="ERP-1")
    bob = create_order(merchant_id=merchant.pk, reference="ERP-2", recipient=address_draft(name="Bob Meyer"))
    Order.objects.filter(pk=bob.pk).update(tracking_number="TRK123")

    assert _listed(staff_client, q=anna.number) == [anna.pk]
    assert _listed(staff_client, q=str(anna.pk)) == [anna.pk]
    assert _listed(staff_client, q="ERP-2") == [bob.pk]
    assert _listed(staff_client, q="TRK123") == [bob.pk]
    assert _listed(staff_client, q="meyer") == [bob.pk]
    assert _listed(staff_client, q="nobody at all") == []


def test_orders_are_filtered_by_state_merchant_destination_and_age(staff_client, merchant):
    other = MerchantFactory()
    mine = create_order(merchant_id=merchant.pk)
    theirs = create_order(merchant_id=other.pk)

    assert _listed(staff_client, merchant=str(other.pk)) == [theirs.pk]
    assert _listed(staff_client, state__exact="accepted") == [theirs.pk, mine.pk]
    assert _listed(staff_client, state__exact="delivered") == []
    assert _listed(staff_client, age="1h") == [theirs.pk, mine.pk]
    assert _listed(staff_client, age="older") == []
    assert _listed(staff_client, service_level="standard") == [theirs.pk, mine.pk]
    assert _listed(staff_client, service_level="express") == []


def test_the_order_page_shows_every_center(staff_client, merchant):
    order = create_order(
        merchant_id=merchant.pk, route=fixed_route(explanation={"strategy": "fastest", "breakdown": {"base": "9.00"}})
    )
    leg = distribution_order_create(
        order_id=order.pk, merchant_id=merchant.pk, carrier_code="test-post", service_code="standard", actor="t"
    )
    CarrierCall.objects.create(
        carrier_code="test-post",
        distribution_order_id=leg.pk,
        operation="book",
        method="POST",
        path="shipments/",
        status_code=503,
        outcome="failed",
        duration_ms=4321,
    )

    page = staff_client.get(f"{ORDERS}{order.pk}/change/")

    text = page.content.decode()
    assert page.status_code == 200
    assert order.number in text
    assert "Why this route" in text and "fastest" in text and "9.00" in text
    assert "test-post" in text and "4321" in text and "failed" in text  # its distribution order and carrier call
    assert "accepted" in text  # the history inline


def test_cancelling_from_the_admin_is_recorded_with_the_staff_member(staff_client, merchant):
    order = create_order(merchant_id=merchant.pk)

    answer = staff_client.post(ORDERS, {"action": "cancel_orders", "_selected_action": [order.pk]})

    assert answer.status_code == 302
    last = order_history(order_id=order.pk)[-1]
    assert (last.to_state, last.actor, last.reason) == ("cancelled", "staff:oncall", "cancelled by operations")


def test_an_order_past_hand_over_is_not_cancelled_and_the_admin_says_why(staff_client, merchant):
    order = create_order(merchant_id=merchant.pk)
    Order.objects.filter(pk=order.pk).update(state="delivered")

    answer = staff_client.post(ORDERS, {"action": "cancel_orders", "_selected_action": [order.pk]}, follow=True)

    assert "only orders not yet handed to a carrier can be cancelled" in answer.content.decode()
    assert Order.objects.get(pk=order.pk).state == "delivered"


def test_orders_cannot_be_edited_or_added_by_hand(staff_client, merchant):
    order = create_order(merchant_id=merchant.pk)

    assert staff_client.get(f"{ORDERS}add/").status_code == 403
    page = staff_client.get(f"{ORDERS}{order.pk}/change/")
    assert 'name="_save"' not in page.content.decode()


def test_the_list_costs_the_same_queries_for_many_orders_and_never_counts_the_table(staff_client, merchant):
    def queries_for_the_list() -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            assert staff_client.get(ORDERS).status_code == 200
        return [q["sql"] for q in captured.captured_queries]

    create_order(merchant_id=merchant.pk)
    few = queries_for_the_list()
    for n in range(30):
        create_order(merchant_id=MerchantFactory().pk, reference=f"R{n}")
    many = queries_for_the_list()

    assert len(many) == len(few)
    assert not [sql for sql in many if "COUNT(" in sql.upper() and "orders_order" in sql]
    # nor reads the whole table to offer a filter's choices
    assert not [sql for sql in many if "DISTINCT" in sql.upper() and '"orders_order"' in sql]


def test_the_order_page_costs_the_same_queries_however_long_its_story(staff_client, merchant):
    def queries_for(order) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert staff_client.get(f"{ORDERS}{order.pk}/change/").status_code == 200
        return len(captured.captured_queries)

    short = create_order(merchant_id=merchant.pk)
    distribution_order_create(
        order_id=short.pk, merchant_id=merchant.pk, carrier_code="test-post", service_code="standard", actor="t"
    )
    WarehouseOrderLine.objects.create(
        warehouse_order=WarehouseOrder.objects.create(order_id=short.pk, merchant_id=merchant.pk, warehouse_code="hk"),
        sku="ONE",
        ordered=1,
    )
    long = create_order(merchant_id=merchant.pk, reference="LONG")
    legs = [
        distribution_order_create(
            order_id=long.pk, merchant_id=merchant.pk, carrier_code=f"c{n}", service_code="standard", actor="t"
        )
        for n in range(3)
    ]
    CarrierCall.objects.bulk_create(
        CarrierCall(
            carrier_code="c0",
            distribution_order_id=leg.pk,
            operation="book",
            method="POST",
            path="shipments/",
            outcome="ok",
            duration_ms=5,
        )
        for leg in legs
        for _ in range(5)
    )

    for n in range(2):  # and warehouse orders with their lines and WMS calls
        warehouse_order = WarehouseOrder.objects.create(order_id=long.pk, merchant_id=merchant.pk, warehouse_code="hk")
        WarehouseOrderLine.objects.bulk_create(
            WarehouseOrderLine(warehouse_order=warehouse_order, sku=f"SKU-{n}-{i}", ordered=2) for i in range(3)
        )
        WmsCall.objects.bulk_create(
            WmsCall(
                warehouse_code="hk",
                operation="create_order",
                warehouse_order_id=warehouse_order.pk,
                method="POST",
                path="orders/",
                outcome="ok",
                duration_ms=7,
            )
            for _ in range(3)
        )

    assert queries_for(long) == queries_for(short)
    page = staff_client.get(f"{ORDERS}{long.pk}/change/").content.decode()
    assert "SKU-1-2: 2" in page and page.count("create_order") == 6


# ---------------------------------------------------------------------------------------------
# Re-route, hold and release, from the list and from the order's own page


@pytest.fixture
def waiting_order(merchant, cn_de_service):
    """An order whose booking waits on the paused lane of its carrier (test-post)."""
    Lane.objects.create(key="carrier:test-post", downstream_kind="carrier", downstream_code="test-post", paused=True)
    order = order_submit(merchant_id=merchant.pk, draft=order_draft(reference="WAIT-1"), actor="t", channel="api")
    outbox.drain(run_tasks=False)
    return order


def _act_on_page(staff_client, order, action: str, **fields):
    """Pick an action in the order page's own action form and run it."""
    data = {"CHANGE_FORM-action": action, "_selected_action": [order.pk], "index": 0}
    data.update({f"CHANGE_FORM-{name}": value for name, value in fields.items()})
    return staff_client.post(f"{ORDERS}{order.pk}/change/", data, follow=True)


def test_the_order_page_offers_every_action(staff_client, waiting_order):
    page = staff_client.get(f"{ORDERS}{waiting_order.pk}/change/")

    choices = {value for value, _ in page.context["action_form"].fields["action"].choices if value}
    assert choices == {"cancel_orders", "reroute_orders", "retry_bookings", "hold_orders", "release_orders"}


def test_holding_and_releasing_from_the_order_page_is_in_its_lane_history_with_the_staff_member(
    staff_client, waiting_order
):
    answer = _act_on_page(staff_client, waiting_order, "hold_orders", note="waiting for the merchant")
    assert "1 order(s) held." in answer.content.decode()
    entry = LaneEntry.objects.get(order_id=waiting_order.pk)
    assert entry.held_by == "staff:oncall"

    _act_on_page(staff_client, waiting_order, "release_orders")

    entry.refresh_from_db()
    assert entry.held_by == ""
    steps = list(entry.history.filter(transition__in=["hold", "unhold"]).values_list("transition", "actor", "reason"))
    assert steps == [
        ("hold", "staff:oncall", "waiting for the merchant"),
        ("unhold", "staff:oncall", "released by operations"),
    ]
    page = staff_client.get(f"{ORDERS}{waiting_order.pk}/change/").content.decode()
    assert "waiting for the merchant" in page  # the lane history and the staff actions on the order page
    assert list(StaffActionRecord.objects.values_list("action", "outcome")) == [("release", "done"), ("hold", "done")]


def test_rerouting_from_the_list_goes_through_the_shipping_center(staff_client, waiting_order):
    CoverageFactory(service__carrier__code="backup-post", service__base_price=Decimal("30.00"))

    staff_client.post(ORDERS, {"action": "reroute_orders", "_selected_action": [waiting_order.pk], "note": "down"})
    outbox.drain(run_tasks=False)

    row = Order.objects.get(pk=waiting_order.pk)
    assert row.carrier_code == "backup-post"
    step = order_history(order_id=row.pk)[-2]  # then released and planned on the new lane
    assert (step.transition, step.actor) == ("reroute", "staff:oncall") and "down" in step.reason


def test_a_refused_action_says_why_changes_nothing_and_is_recorded(staff_client, waiting_order):
    answer = _act_on_page(staff_client, waiting_order, "reroute_orders")  # no other carrier

    assert "No other carrier than test-post" in answer.content.decode()
    assert Order.objects.get(pk=waiting_order.pk).carrier_code == "test-post"
    record = StaffActionRecord.objects.get()
    assert (record.actor, record.action, record.outcome) == ("staff:oncall", "reroute", "refused")


def test_a_bad_route_is_refused_without_a_500(staff_client, waiting_order):
    answer = _act_on_page(staff_client, waiting_order, "reroute_orders", route="no-slash")

    assert answer.status_code == 200
    assert "carrier/service" in answer.content.decode()
