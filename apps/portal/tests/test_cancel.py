"""A merchant cancels an order from its page: a confirmation step (a plain form, no JavaScript),
then the order center's cancel; its refusals come back as a message."""

import pytest

from apps.merchants.tests.factories import MembershipFactory, MerchantFactory
from apps.orders.models import Order
from apps.orders.tests.factories import order_draft
from apps.shipping.services import order_submit


@pytest.fixture
def portal(client, merchant_user):
    client.force_login(merchant_user)
    return client


@pytest.fixture
def order(merchant, cn_de_service):
    return order_submit(merchant_id=merchant.pk, draft=order_draft(reference="C-1"), actor="t", channel="api")


def test_a_merchant_cancels_an_order_after_confirming(portal, order):
    page = portal.get(f"/orders/{order.number}/").content.decode()
    confirmation = portal.get(f"/orders/{order.number}/cancel/")

    response = portal.post(
        f"/orders/{order.number}/cancel/", {"version": order.version, "reason": "buyer changed their mind"}, follow=True
    )

    assert f'href="/orders/{order.number}/cancel/"' in page
    assert confirmation.status_code == 200 and "Cancel the order" in confirmation.content.decode()
    assert Order.objects.get(pk=order.pk).state == "cancelled"  # the GET changed nothing; the POST did
    assert response.redirect_chain[-1][0] == f"/orders/{order.number}/"
    text = response.content.decode()
    assert f"Order {order.number} is cancelled." in text and "buyer changed their mind" in text
    assert 'id="cancel-order"' not in text


def test_the_confirmation_page_changes_nothing(portal, order):
    portal.get(f"/orders/{order.number}/cancel/")

    assert Order.objects.get(pk=order.pk).state == order.state


def test_an_order_that_changed_since_the_confirmation_is_not_cancelled(portal, order):
    response = portal.post(f"/orders/{order.number}/cancel/", {"version": order.version + 1}, follow=True)

    assert Order.objects.get(pk=order.pk).state == order.state
    assert "changed since version" in response.content.decode()


def test_a_refusal_is_shown_as_a_message_on_the_order_page(portal, order):
    portal.post(f"/orders/{order.number}/cancel/", {"version": order.version})
    cancelled = Order.objects.get(pk=order.pk)

    response = portal.post(f"/orders/{order.number}/cancel/", {"version": cancelled.version}, follow=True)

    assert response.redirect_chain[-1][0] == f"/orders/{order.number}/"
    assert "only orders not yet handed to a carrier can be cancelled" in response.content.decode()
    assert Order.objects.get(pk=order.pk).version == cancelled.version


def test_a_reason_with_a_control_character_is_an_error_beside_it(portal, order):
    response = portal.post(f"/orders/{order.number}/cancel/", {"version": order.version, "reason": "a\x00b"})

    assert response.status_code == 400 and "Null characters are not allowed." in response.content.decode()
    assert Order.objects.get(pk=order.pk).state == order.state


def test_another_merchants_order_cannot_be_cancelled(portal, cn_de_service):
    theirs = order_submit(merchant_id=MerchantFactory().pk, draft=order_draft(), actor="t", channel="api")

    response = portal.post(f"/orders/{theirs.number}/cancel/", {"version": theirs.version})

    assert response.status_code == 404
    assert Order.objects.get(pk=theirs.pk).state == theirs.state


@pytest.mark.parametrize(("role", "offered"), [("viewer", False), ("developer", False), ("shipper", True)])
def test_only_roles_that_may_cancel_are_offered_the_cancel(client, merchant, order, role, offered):
    client.force_login(MembershipFactory(merchant=merchant, role=role).user)

    page = client.get(f"/orders/{order.number}/").content.decode()

    assert (f'href="/orders/{order.number}/cancel/"' in page) is offered
    assert client.post(f"/orders/{order.number}/cancel/", {"version": order.version}).status_code == (
        302 if offered else 403
    )
