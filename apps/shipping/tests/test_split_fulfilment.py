"""An order split across two warehouses, end to end against two sandbox WMSs and a sandbox carrier
over HTTP: intake reserves in both, each part is sent to its own WMS once, each packed part is
booked from its own warehouse, and the order is delivered only when both parts are."""

import pytest

from apps.common import outbox
from apps.distribution.gateways import TrackingUpdate
from apps.distribution.models import DistributionOrder
from apps.distribution.services import tracking_apply
from apps.fulfillment.models import FulfillmentOrder
from apps.orders.tests.factories import item_draft, order_draft, parcel_draft
from apps.resources.models import Carrier, Warehouse
from apps.resources.tests.factories import CoverageFactory
from apps.shipping.services import ANY_WAREHOUSE, order_submit
from apps.warehouse.models import Stock, WarehouseOrder
from apps.warehouse.tests.test_orders import stock
from apps.warehouse.tests.test_sandbox_wms import SandboxWarehouse

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture
def two_warehouses(live_server, merchant):
    CoverageFactory(
        service__carrier__code="hk-post",
        service__carrier__endpoint_url=f"{live_server.url}/sandbox/carriers/hk-post/",
        origin_country="HK",
    )
    systems = {}
    for code, sku in (("hk-1", "MUG"), ("hk-2", "CAP")):
        systems[code] = SandboxWarehouse(live_server, code)
        systems[code].stock({sku: 10})
        stock(sku, 10, warehouse_code=code, merchant_id=merchant.pk)
        Warehouse.objects.get(code=code).carriers.set(Carrier.objects.filter(code="hk-post"))
    return systems


def _deliver(delivery):
    tracking_apply(
        distribution_order_id=delivery.pk,
        updates=[
            TrackingUpdate(milestone=m, carrier_status=m.upper(), description=m, location="", occurred_at=at)
            for m, at in (("picked_up", delivery.booked_at), ("delivered", delivery.booked_at))
        ],
    )
    outbox.drain()


def test_each_part_is_picked_packed_and_booked_from_its_warehouse_and_the_order_is_delivered_with_the_last(
    merchant, two_warehouses
):
    items = (item_draft(sku="MUG", quantity=2, description="Mug"), item_draft(sku="CAP", quantity=1))
    order = order_submit(
        merchant_id=merchant.pk,
        draft=order_draft(parcels=(parcel_draft(items=items),)),
        actor="t",
        channel="api",
        warehouse=ANY_WAREHOUSE,
    )
    assert [p["warehouse"] for p in order.route_explanation["parts"]] == ["hk-1", "hk-2"]
    outbox.drain()  # planned: both warehouse orders confirmed and sent, each on its warehouse's lane

    parts = {w.warehouse_code: w for w in WarehouseOrder.objects.filter(order_id=order.pk)}
    assert {code: w.state for code, w in parts.items()} == {"hk-1": "accepted", "hk-2": "accepted"}
    for code, wms in two_warehouses.items():
        [sandbox_order] = wms.orders(parts[code].external_reference)
        assert sandbox_order["create_attempts"] == 1
        for _ in range(2):  # picking, packed
            wms.advance(parts[code].external_reference)
            wms.step()
    outbox.drain()  # each packed part gets its carrier leg, booked through the carrier's lane

    deliveries = list(DistributionOrder.objects.filter(order_id=order.pk).order_by("id"))
    assert len(deliveries) == 2 and {d.state for d in deliveries} == {"booked"}
    assert all(d.ship_from["line1"] and d.ship_from["postal_code"] for d in deliveries)
    plan = FulfillmentOrder.objects.get(order_id=order.pk)
    assert sorted((leg.kind, leg.part) for leg in plan.legs.all()) == [
        ("distribution", 1),
        ("distribution", 2),
        ("warehouse", 1),
        ("warehouse", 2),
    ]

    _deliver(deliveries[0])
    order.refresh_from_db()
    # One part delivered, the other still on its way: the order moves with the part that is ahead,
    # but is not delivered.
    assert order.state in ("handed_over", "in_transit", "out_for_delivery")

    _deliver(deliveries[1])
    order.refresh_from_db()
    plan.refresh_from_db()
    assert (order.state, plan.state) == ("delivered", "completed")
    assert {s.sku: s.reserved for s in Stock.objects.filter(merchant_id=merchant.pk)} == {"MUG": 2, "CAP": 1}
