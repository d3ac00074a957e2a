"""Staff roles made by migration: each reads every center and may change only its own part."""

import pytest
from django.contrib.auth.models import Group

from apps.merchants.tests.factories import UserFactory
from apps.orders.tests.factories import create_order
from apps.resources.models import Carrier
from apps.resources.tests.factories import CarrierFactory


@pytest.fixture(autouse=True)
def _roles(staff_roles):
    pass


def _member_of(client, role: str):
    user = UserFactory(is_staff=True, username=f"{role}-member")
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    return client


def _actions(client) -> set[str]:
    page = client.get("/admin/orders/order/")
    assert page.status_code == 200
    form = page.context["action_form"]  # none at all when the role may take no action
    return {value for value, _ in form.fields["action"].choices if value} if form else set()


@pytest.mark.parametrize("role", ["support", "finance", "administrators"])
def test_every_role_reads_every_center(client, merchant, role):
    order = create_order(merchant_id=merchant.pk)
    _member_of(client, role)

    for path in [f"/admin/orders/order/{order.pk}/change/", "/admin/resources/carrier/", "/admin/scheduling/lane/"]:
        assert client.get(path).status_code == 200, path


@pytest.mark.parametrize(
    ("role", "actions"),
    [
        ("support", {"retry_bookings", "hold_orders", "release_orders"}),
        ("finance", set()),
        ("administrators", {"retry_bookings", "cancel_orders", "reroute_orders", "hold_orders", "release_orders"}),
    ],
)
def test_order_actions_follow_the_role(client, merchant, role, actions):
    create_order(merchant_id=merchant.pk)

    assert _actions(_member_of(client, role)) == actions


def test_support_cannot_change_a_carrier_and_finance_cannot_either(client, db):
    carrier = CarrierFactory(code="swift", requests_per_second=20)
    for role in ("support", "finance"):
        answer = _member_of(client, role).post(
            f"/admin/resources/carrier/{carrier.pk}/change/", {"code": "swift", "requests_per_second": 999}
        )
        assert answer.status_code == 403, role
    assert Carrier.objects.get(pk=carrier.pk).requests_per_second == 20


def test_finance_changes_prices_and_administrators_change_carriers(client, db):
    finance = _member_of(client, "finance")
    assert finance.get("/admin/resources/exchangerate/add/").status_code == 200
    assert finance.get("/admin/resources/carrier/add/").status_code == 403

    administrators = _member_of(client, "administrators")
    assert administrators.get("/admin/resources/carrier/add/").status_code == 200
    assert administrators.get("/admin/resources/exchangerate/add/").status_code == 403
