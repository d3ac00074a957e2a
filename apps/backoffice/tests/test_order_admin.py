"""Operations find any order in the admin, see what every center did with it, and act on it;
each action lands in the order's history with the staff member who took it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.distribution.models import CarrierCall
from apps.distribution.services import distribution_order_create
from apps.merchants.tests.factories import MerchantFactory, UserFactory
from apps.orders.models import Order
from apps.orders.selectors import order_history
from apps.orders.tests.factories import address_draft, create_order, fixed_route

ORDERS = "/admin/orders/order/"


@pytest.fixture
def staff(db):
    return UserFactory(is_staff=True, is_superuser=True, username="oncall")


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


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


def test_the_order_page_costs_the_same_queries_however_long_its_story(staff_client, merchant):
    def queries_for(order) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert staff_client.get(f"{ORDERS}{order.pk}/change/").status_code == 200
        return len(captured.captured_queries)

    short = create_order(merchant_id=merchant.pk)
    distribution_order_create(
        order_id=short.pk, merchant_id=merchant.pk, carrier_code="test-post", service_code="standard", actor="t"
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

    assert queries_for(long) == queries_for(short)
