"""Plans of a warehouse leg then a carrier leg, against the sandbox WMS and a sandbox carrier over
HTTP: the WMS gets the order once, its packed parcel is what the carrier books, the timeline shows
both legs, and a cancel before picking gives the stock back."""

import pytest

from apps.common import outbox
from apps.distribution.gateways import TrackingUpdate
from apps.distribution.models import CarrierCall, DistributionOrder
from apps.distribution.services import tracking_apply
from apps.fulfillment.models import FulfillmentOrder, PlanStep
from apps.fulfillment.selectors import order_timeline
from apps.orders.services import order_cancel
from apps.orders.tests.factories import create_order, fixed_route, item_draft, parcel_draft
from apps.resources.tests.factories import CoverageFactory
from apps.warehouse.models import Stock, WarehouseOrder, WmsCall
from apps.warehouse.tests.test_orders import stock
from apps.warehouse.tests.test_sandbox_wms import SandboxWarehouse

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shipping_from_hk(live_server, merchant):
    wms = SandboxWarehouse(live_server, "hk-1")
    wms.stock({"MUG": 10})
    stock("MUG", 10, merchant_id=merchant.pk)
    CoverageFactory(
        service__carrier__code="hk-post",
        service__carrier__endpoint_url=f"{live_server.url}/sandbox/carriers/hk-post/",
        origin_country="HK",
    )
    return wms


def _order(merchant, reference="W-1", quantity=3):
    order = create_order(
        merchant_id=merchant.pk,
        route=fixed_route(carrier_code="hk-post", warehouse_code="hk-1"),
        reference=reference,
        parcels=(parcel_draft(items=(item_draft(sku="MUG", quantity=quantity, description="Mug"),)),),
    )
    outbox.drain()  # on the warehouse's lane, planned (stock reserved), sent to the WMS
    return order


def _available(merchant):
    return Stock.objects.get(merchant_id=merchant.pk, warehouse_code="hk-1", sku="MUG").available


def test_an_order_from_warehouse_stock_is_picked_packed_then_booked_for_the_parcel_the_wms_packed(
    merchant, shipping_from_hk
):
    wms = shipping_from_hk
    order = _order(merchant)
    warehouse_order = WarehouseOrder.objects.get(order_id=order.pk)
    reference = warehouse_order.external_reference
    assert warehouse_order.state in ("submitted", "accepted") and _available(merchant) == 7
    assert DistributionOrder.objects.filter(order_id=order.pk).count() == 0  # no carrier before the goods are packed

    for _ in range(2):  # received -> picking -> packed, each pushed by signed webhook as it happens
        wms.advance(reference)
        wms.step()
    outbox.drain()  # packed: the carrier leg is planned and booked through the carrier's lane

    warehouse_order.refresh_from_db()
    delivery = DistributionOrder.objects.get(order_id=order.pk)
    packed = warehouse_order.parcels[0]
    assert delivery.state == "booked"
    assert delivery.packed_parcels[0]["weight_g"] == round(float(packed["weight_kg"]) * 1000)
    assert (delivery.ship_from["city"], delivery.ship_from["line1"], delivery.ship_from["postal_code"]) == (
        "Hong Kong",
        "8 Cheung Yue Street, Cheung Sha Wan",
        "999077",
    )
    assert delivery.ship_from["phone"] == "+852 2000 0000"
    assert list(CarrierCall.objects.filter(carrier_code="hk-post").values_list("operation", "outcome")) == [
        ("book", "ok")
    ]
    [sandbox_order] = wms.orders(reference)
    assert sandbox_order["create_attempts"] == 1
    assert WmsCall.objects.filter(warehouse_order_id=warehouse_order.pk, operation="create_order").count() == 1

    wms.advance(reference)  # shipped
    wms.step()
    outbox.drain()
    tracking_apply(
        distribution_order_id=delivery.pk,
        updates=[
            TrackingUpdate(milestone=m, carrier_status=m.upper(), description=m, location="", occurred_at=at)
            for m, at in (("picked_up", delivery.booked_at), ("delivered", delivery.booked_at))
        ],
    )
    outbox.drain()

    order.refresh_from_db()
    plan = FulfillmentOrder.objects.get(order_id=order.pk)
    assert (order.state, plan.state) == ("delivered", "completed")
    assert [(leg.role, leg.state) for leg in plan.legs.order_by("sequence")] == [
        ("warehouse", "shipped"),
        ("carrier", "delivered"),
    ]
    assert _available(merchant) == 7 and Stock.objects.get(merchant_id=merchant.pk, sku="MUG").on_hand == 7
    states = [entry.state for entry in order_timeline(order=order) if entry.kind == "warehouse"]
    assert states[-1] == "shipped" and "packed" in states


def test_cancelling_before_picking_cancels_at_the_wms_and_gives_the_stock_back(merchant, shipping_from_hk):
    wms = shipping_from_hk
    order = _order(merchant, quantity=4)
    assert _available(merchant) == 6

    order_cancel(merchant_id=merchant.pk, order_id=order.pk, actor="user:1", reason="buyer changed their mind")
    outbox.drain()  # the plan's step asks the WMS, through its lane, to cancel

    warehouse_order = WarehouseOrder.objects.get(order_id=order.pk)
    assert warehouse_order.state == "cancelled"
    assert _available(merchant) == 10
    step = PlanStep.objects.get(fulfillment_order__order_id=order.pk)
    assert (step.action, step.state) == ("cancel_warehouse_order", "done")
    [sandbox_order] = wms.orders(warehouse_order.external_reference)
    assert sandbox_order["stage"] == "cancelled"
