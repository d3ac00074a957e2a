"""The merchant's dashboard: the last seven days by state, spend by carrier, the on-time rate and
the orders that need action, each a chart with its table; another merchant's orders never show."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from apps.orders.services import order_advance, order_flag_exception, order_schedule, order_start_fulfillment
from apps.orders.tests.factories import create_order, fixed_route
from apps.portal.tests.pages import owner_of

pytestmark = [pytest.mark.django_db, pytest.mark.clock]


def _order(merchant, reference, *, state="accepted", days_ago=0.0, price="10.00", delivered_after_days=None):
    """An order made `days_ago`, taken to `state` by the order center's services."""
    made = timezone.now() - timedelta(days=days_ago)
    with time_machine.travel(made, tick=False):
        order = create_order(merchant_id=merchant.pk, reference=reference, route=fixed_route(price=price))
    if state == "accepted":
        return order
    with time_machine.travel(made + timedelta(minutes=5), tick=False):
        order_schedule(order_id=order.pk, lane="carrier:test-post", actor="test")
        order_start_fulfillment(order_id=order.pk, actor="test")
    if state == "exception":
        order_flag_exception(order_id=order.pk, actor="test", reason="lost")
    elif state == "delivered":
        with time_machine.travel(made + timedelta(days=delivered_after_days), tick=False):
            order_advance(order_id=order.pk, target="delivered", actor="test")
    elif state != "in_fulfillment":
        order_advance(order_id=order.pk, target=state, actor="test")
    return order


@pytest.fixture
def week(merchant, cn_de_service):  # cn_de_service: test-post/standard, promised in 8 days at most
    return {
        "fresh": _order(merchant, "fresh"),
        "stuck": _order(merchant, "stuck", days_ago=2),
        "customs": _order(merchant, "customs", state="customs_hold", days_ago=3, price="20.00"),
        "failed": _order(merchant, "failed", state="delivery_failed", days_ago=4),
        "flagged": _order(merchant, "flagged", state="exception", days_ago=1),
        "on time": _order(merchant, "on-time", state="delivered", days_ago=9, delivered_after_days=6),
        "late": _order(merchant, "late", state="delivered", days_ago=12, delivered_after_days=10),
        "long ago": _order(merchant, "old", state="customs_hold", days_ago=30),
    }


def test_the_dashboard_is_the_portal_home_and_shows_the_week(client, merchant, week):
    client.force_login(owner_of(merchant))

    response = client.get("/", follow=True)

    assert response.redirect_chain[-1][0] == "/dashboard/"
    dashboard = response.context["dashboard"]
    panels = {panel.key: panel for panel in dashboard.panels}
    # made in the last 7 days: fresh, stuck, customs, failed, flagged (not the two delivered, not the old one)
    assert dict((str(state), n) for state, n in panels["states"].rows) == {
        "Accepted": 2,
        "Held in customs": 1,
        "Delivery attempt failed": 1,
        "Exception": 1,
    }
    assert panels["spend"].rows == [("test-post", 5, "60.00 USD")]
    assert panels["on-time"].rows == [("test-post", 2, 1, "50 %")]  # delivered this week: one in 6 days, one in 10
    assert dashboard.on_time_rate == 0.5
    needing = {order.reference: str(why) for order, why in dashboard.needing_action}
    assert needing == {
        "stuck": "Waiting for a booking for more than a day",
        "customs": "Held in customs",
        "failed": "Delivery attempt failed",
        "flagged": "Flagged for a person (exception)",
        "old": "Held in customs",  # needs action whenever it was made
    }
    assert dict((str(why), n) for why, n in panels["action"].rows)["Held in customs"] == 2
    html = response.content.decode()
    assert html.count('src="data:image/svg+xml;base64,') == 4  # a chart per panel, each beside its table
    assert html.count("<table") == 5


def test_another_merchants_orders_never_show(client, merchant, week):
    from apps.merchants.tests.factories import MerchantFactory

    other = MerchantFactory()
    client.force_login(owner_of(other))

    dashboard = client.get("/dashboard/").context["dashboard"]

    assert all(panel.rows == [] or panel.key == "action" for panel in dashboard.panels)
    assert dashboard.needing_action == [] and dashboard.action_total == 0
