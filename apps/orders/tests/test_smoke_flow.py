from apps.common import outbox
from apps.orders.models import Order
from apps.orders.tests.factories import order_draft
from apps.shipping.services import order_submit


def test_submitted_order_is_recorded_routed_and_scheduled_through_the_outbox(merchant, cn_de_service):
    order = order_submit(merchant_id=merchant.pk, draft=order_draft(reference="R-1"), actor="test", channel="api")

    assert Order.objects.get(pk=order.pk).state == "accepted"
    assert order.carrier_code == "test-post"
