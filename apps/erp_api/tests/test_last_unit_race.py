"""Two orders for the last unit at once, through the ERP API against PostgreSQL, each request on
its own thread and connection, committing for real: intake reserves with the order, so exactly
one is accepted and the other is refused at intake with 409 `out_of_stock` (before, both were
accepted and one became a backorder when planned)."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections
from rest_framework.test import APIClient

from apps.orders.models import Order
from apps.orders.tests.factories import order_payload
from apps.warehouse.models import Stock, WarehouseOrder
from apps.warehouse.tests.stocked import stocked_warehouse

pytestmark = pytest.mark.django_db(transaction=True)
ROUNDS = 5


def _post_together(api_key: str, payloads: list[dict]) -> list:
    ready = threading.Barrier(len(payloads))

    def post(payload):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key}")
        try:
            ready.wait(timeout=10)
            return client.post("/api/v1/orders/", payload, format="json")
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(payloads)) as pool:
        return list(pool.map(post, payloads))


def _for_the_last_unit(sku: str, reference: str) -> dict:
    payload = order_payload(reference=reference) | {"warehouse": "any"}
    payload["parcels"][0]["items"] = [payload["parcels"][0]["items"][0] | {"sku": sku, "quantity": 1}]
    return payload


def test_two_orders_for_the_last_unit_one_is_accepted_the_other_refused_409(merchant, api_key, cn_de_service):
    skus = [f"LAST-{n}" for n in range(ROUNDS)]
    stocked_warehouse(merchant_id=merchant.pk, stock=dict.fromkeys(skus, 1))

    for sku in skus:
        responses = _post_together(api_key, [_for_the_last_unit(sku, f"{sku}-A"), _for_the_last_unit(sku, f"{sku}-B")])

        assert sorted(r.status_code for r in responses) == [201, 409]
        [refused] = [r.json() for r in responses if r.status_code == 409]
        assert refused["code"] == "out_of_stock"
        assert sku in refused["message"] and refused["extra"]["short"] == {sku: 1}
        stock = Stock.objects.get(merchant_id=merchant.pk, sku=sku)
        assert (stock.on_hand, stock.reserved) == (1, 1)
    assert Order.objects.count() == ROUNDS
    assert WarehouseOrder.objects.count() == ROUNDS
    assert not WarehouseOrder.objects.filter(state="backordered").exists()
