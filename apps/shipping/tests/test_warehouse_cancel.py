"""Cancelling an order shipped from a warehouse: before the WMS has it, at once; once the WMS has
it, asked of the WMS (202) and cancelled when it confirms; once picking started, refused (409) with
the reason. Never "cancelled" for an order the WMS goes on to ship."""

import httpx
import pytest

from apps.common import outbox
from apps.merchants.services import api_key_issue
from apps.orders.models import Order
from apps.orders.tests.factories import create_order, fixed_route, item_draft, parcel_draft
from apps.resources.tests.factories import CoverageFactory
from apps.shipping.services import order_cancel_request
from apps.warehouse.exceptions import WarehouseOrderNotCancellable
from apps.warehouse.models import Stock, WarehouseOrder
from apps.warehouse.tests.test_orders import stock
from apps.warehouse.tests.test_sandbox_wms import SandboxWarehouse

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture
def wms(live_server, merchant):
    warehouse = SandboxWarehouse(live_server, "hk-1")
    warehouse.stock({"MUG": 10})
    stock("MUG", 10, merchant_id=merchant.pk)
    CoverageFactory(
        service__carrier__code="hk-post",
        service__carrier__endpoint_url=f"{live_server.url}/sandbox/carriers/hk-post/",
        origin_country="HK",
    )
    return warehouse


def _at_the_wms(merchant, reference):
    order = create_order(
        merchant_id=merchant.pk,
        route=fixed_route(carrier_code="hk-post", warehouse_code="hk-1"),
        reference=reference,
        parcels=(parcel_draft(items=(item_draft(sku="MUG", quantity=4, description="Mug"),)),),
    )
    outbox.drain()  # submitted to the WMS through the warehouse's lane
    return order, WarehouseOrder.objects.get(order_id=order.pk)


def test_a_cancel_of_an_order_at_the_wms_is_a_202_then_the_order_is_cancelled_when_the_wms_confirms(
    live_server, merchant, wms
):
    order, warehouse_order = _at_the_wms(merchant, "C-1")
    _, key = api_key_issue(merchant=merchant, name="erp")

    answer = httpx.post(
        f"{live_server.url}/api/v1/orders/{order.pk}/cancel/",
        json={"reason": "buyer changed their mind"},
        headers={"Authorization": f"Bearer {key}", "Idempotency-Key": "cancel-1"},
        timeout=30,
    )

    assert answer.status_code == 202, answer.text
    assert answer.json()["state"] == "in_fulfillment"  # not cancelled until the WMS says so
    outbox.drain()  # the cancel goes to the WMS through its lane; the WMS accepts
    order.refresh_from_db()
    warehouse_order.refresh_from_db()
    assert (warehouse_order.state, order.state) == ("cancelled", "cancelled")
    assert Stock.objects.get(merchant_id=merchant.pk, sku="MUG").available == 10
    assert wms.orders(warehouse_order.external_reference)[0]["stage"] == "cancelled"


def test_once_picking_started_a_cancel_is_refused_with_the_reason_and_nothing_changes(merchant, wms):
    order, warehouse_order = _at_the_wms(merchant, "C-2")
    wms.advance(warehouse_order.external_reference)  # received -> picking
    wms.step()

    with pytest.raises(WarehouseOrderNotCancellable) as refused:
        order_cancel_request(merchant_id=merchant.pk, order_id=order.pk, actor="user:1", reason="too late")

    assert refused.value.http_status == 409 and "pick" in refused.value.message.lower()
    assert Order.objects.get(pk=order.pk).state == "in_fulfillment"
    assert WarehouseOrder.objects.get(pk=warehouse_order.pk).state == "picking"
