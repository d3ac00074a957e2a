"""The ERP API's warehouse side: stock per warehouse and SKU, inbound shipments (ASNs), orders
shipped from stock, their warehouse stages in the timeline and in outgoing webhooks."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from apps.common import outbox
from apps.orders.models import Order
from apps.orders.tests.factories import order_payload
from apps.warehouse.models import Asn, Stock, WarehouseOrder
from apps.warehouse.services import asn_receipt_apply
from apps.warehouse.tests.stocked import stocked_warehouse
from apps.warehouse.wms.types import Receipt, ReceiptLine
from apps.webhooks.models import WebhookDelivery
from apps.webhooks.services import endpoint_create
from apps.webhooks.tests.receiver import fan_out_pending

ASN = {
    "warehouse": "sz-1",
    "expected_at": "2026-12-20",
    "lines": [{"sku": "TS-1", "quantity": 10}, {"sku": "CAP", "quantity": 4}],
}


@pytest.fixture
def plan(django_capture_on_commit_callbacks):
    """What the workers would do next: plan the orders from stock (their warehouse orders reserve
    the units, then wait for the WMS, which is nowhere here)."""

    def run():
        with django_capture_on_commit_callbacks(execute=True):
            outbox.drain()

    return run


@pytest.fixture
def stocked(merchant, cn_de_service):
    return stocked_warehouse(merchant_id=merchant.pk, stock={"TS-1": 5, "MUG": 2})


def from_stock(**changes):
    return order_payload(**changes) | {"warehouse": "sz-1"}


def test_stock_lists_each_warehouse_and_sku_with_available_reserved_and_inbound(api_client, merchant, stocked, plan):
    api_client.post("/api/v1/orders/", from_stock(reference="S-1"), format="json")
    plan()
    api_client.post("/api/v1/asns/", ASN, format="json")
    stocked_warehouse(merchant_id=merchant.pk, stock={"TS-1": 1}, code="sz-2")

    body = api_client.get("/api/v1/stock/").json()

    rows = {(r["warehouse"], r["sku"]): r for r in body["results"]}
    assert set(rows) == {("sz-1", "TS-1"), ("sz-1", "MUG"), ("sz-2", "TS-1")}
    assert {k: rows["sz-1", "TS-1"][k] for k in ("on_hand", "reserved", "available", "inbound")} == {
        "on_hand": 5,
        "reserved": 2,
        "available": 3,
        "inbound": 10,
    }
    assert [
        r["sku"] for r in api_client.get("/api/v1/stock/", {"warehouse": "sz-1", "sku": "MUG"}).json()["results"]
    ] == ["MUG"]


def test_stock_pages_by_cursor_and_filters_by_changed_since(api_client, merchant, stocked):
    first = api_client.get("/api/v1/stock/", {"page_size": 1}).json()
    second = api_client.get(first["next"]).json()
    assert len(first["results"]) == len(second["results"]) == 1
    assert first["results"][0]["sku"] != second["results"][0]["sku"]

    later = (timezone.now() + timedelta(seconds=1)).isoformat()
    assert api_client.get("/api/v1/stock/", {"changed_since": later}).json()["results"] == []
    Stock.objects.filter(sku="MUG").update(updated_at=timezone.now() + timedelta(seconds=5))
    changed = api_client.get("/api/v1/stock/", {"changed_since": later}).json()["results"]
    assert [r["sku"] for r in changed] == ["MUG"]


@pytest.mark.parametrize(
    "params",
    [{"changed_since": "yesterday"}, {"changed_since": "2026-12-01T10:00:00"}, {"sku": "x" * 65}, {"warehous": "sz-1"}],
)
def test_bad_stock_filters_are_400_in_the_error_format(api_client, stocked, params):
    response = api_client.get("/api/v1/stock/", params)

    assert response.status_code == 400 and response.json()["code"] == "validation_error"


def test_an_asn_is_created_once_per_idempotency_key_and_read_back_with_its_lines(api_client, merchant, stocked):
    headers = {"HTTP_IDEMPOTENCY_KEY": "asn-1"}
    first = api_client.post("/api/v1/asns/", ASN, format="json", **headers)
    again = api_client.post("/api/v1/asns/", ASN, format="json", **headers)

    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true" and again.json() == first.json()
    asn = Asn.objects.get(merchant_id=merchant.pk)
    body = first.json()
    assert body["id"] == str(asn.pk) and body["reference"] == f"ASN-{asn.pk}" and body["status"] == "open"
    assert [(line["sku"], line["expected"], line["outstanding"]) for line in body["lines"]] == [
        ("CAP", 4, 4),
        ("TS-1", 10, 10),
    ]
    assert api_client.get("/api/v1/asns/").json()["results"][0]["id"] == str(asn.pk)


def test_an_asns_receipts_and_discrepancies_are_read_from_its_page(api_client, merchant, stocked):
    asn_id = api_client.post("/api/v1/asns/", ASN, format="json").json()["id"]
    asn_receipt_apply(
        warehouse_code="sz-1",
        receipt=Receipt(
            asn_reference=f"ASN-{asn_id}",
            receipt_id="R-1",
            received_at=datetime(2026, 12, 20, 9, tzinfo=UTC),
            lines=(ReceiptLine(sku="TS-1", accepted=11, damaged=1), ReceiptLine(sku="HAT", accepted=2, damaged=0)),
        ),
    )

    body = api_client.get(f"/api/v1/asns/{asn_id}/").json()

    assert body["status"] == "receiving"
    assert body["receipts"][0]["receipt_id"] == "R-1"
    assert sorted((d["sku"], d["kind"], d["quantity"], d["receipt_id"]) for d in body["discrepancies"]) == [
        ("HAT", "unexpected", 2, "R-1"),
        ("TS-1", "damaged", 1, "R-1"),
        ("TS-1", "over", 1, "R-1"),
    ]
    lines = {line["sku"]: line for line in body["lines"]}
    assert lines["TS-1"]["outstanding"] == 0 and lines["CAP"]["outstanding"] == 4


@pytest.mark.parametrize(
    "change",
    [
        {"warehouse": "nowhere"},
        {"lines": []},
        {"lines": [{"sku": "", "quantity": 1}]},
        {"lines": [{"sku": "TS-1", "quantity": 0}]},
        {"expected_at": "soon"},
        {"warehouse": "sz\u0000"},
    ],
)
def test_a_bad_asn_is_400_and_records_nothing(api_client, stocked, change):
    response = api_client.post("/api/v1/asns/", ASN | change, format="json")

    assert response.status_code == 400 and response.json()["code"] == "validation_error"
    assert not Asn.objects.exists()


@pytest.mark.parametrize("asn_id", ["abc", "99999999999999999999", "0"])
def test_an_unknown_asn_is_404(api_client, stocked, asn_id):
    response = api_client.get(f"/api/v1/asns/{asn_id}/")

    assert response.status_code == 404 and response.json()["code"] == "asn_not_found"


def test_an_order_naming_a_warehouse_reserves_its_stock_and_says_so(api_client, merchant, stocked, plan):
    response = api_client.post("/api/v1/orders/", from_stock(), format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["warehouse"] == "sz-1"
    order = Order.objects.get(pk=int(response.json()["id"]))
    plan()
    assert WarehouseOrder.objects.get(order_id=order.id).lines.get().ordered == 2
    assert Stock.objects.get(merchant_id=merchant.pk, sku="TS-1").reserved == 2
    assert api_client.get(f"/api/v1/orders/{order.id}/").json()["warehouse"] == "sz-1"


def test_an_order_letting_routing_pick_a_warehouse(api_client, merchant, stocked):
    response = api_client.post("/api/v1/orders/", order_payload() | {"warehouse": "any"}, format="json")

    assert response.status_code == 201 and response.json()["warehouse"] == "sz-1"


def test_a_direct_order_has_no_warehouse(api_client, merchant, stocked):
    response = api_client.post("/api/v1/orders/", order_payload(), format="json")

    assert response.status_code == 201 and response.json()["warehouse"] is None
    assert not WarehouseOrder.objects.exists()


def test_too_little_stock_is_409_out_of_stock_naming_the_skus_short(api_client, merchant, stocked):
    payload = from_stock()
    payload["parcels"][0]["items"][0]["quantity"] = 7

    response = api_client.post("/api/v1/orders/", payload, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "out_of_stock"
    assert response.json()["extra"] == {"warehouse_code": "sz-1", "short": {"TS-1": 2}}
    assert not Order.objects.exists()


def test_the_order_timeline_carries_its_warehouse_stages(api_client, merchant, stocked, plan):
    order_id = api_client.post("/api/v1/orders/", from_stock(), format="json").json()["id"]
    plan()

    events = api_client.get(f"/api/v1/orders/{order_id}/events/").json()["results"]

    warehouse = [(e["state"], e["location"]) for e in events if e["type"] == "warehouse"]
    assert warehouse[:2] == [("allocated", "sz-1"), ("submitted", "sz-1")]


def test_a_warehouse_orders_changes_go_out_as_webhooks_to_endpoints_that_want_them(api_client, merchant, stocked, plan):
    wants, _ = endpoint_create(
        merchant_id=merchant.pk, url="http://127.0.0.1:9/wh/", event_types=["warehouse_order.changed"]
    )
    endpoint_create(merchant_id=merchant.pk, url="http://127.0.0.1:9/orders/", event_types=["order.accepted"])
    order_id = api_client.post("/api/v1/orders/", from_stock(), format="json").json()["id"]
    plan()

    fan_out_pending()

    deliveries = WebhookDelivery.objects.filter(event_type="warehouse_order.changed").order_by("id")
    assert {d.endpoint_id for d in deliveries} == {wants.pk}
    bodies = [json.loads(d.body) for d in deliveries]
    assert [(b["data"]["state"], b["data"]["version"]) for b in bodies][:2] == [("allocated", 2), ("submitted", 3)]
    assert bodies[0]["data"]["order_id"] == order_id and bodies[0]["data"]["warehouse"] == "sz-1"
    assert bodies[0]["data"]["lines"] == [{"sku": "TS-1", "ordered": 2, "shipped": 0, "cancelled": 0}]
    assert api_client.get("/api/v1/webhooks/deliveries/", {"endpoint": str(wants.pk)}).status_code == 200


def test_a_quote_naming_a_warehouse_adds_its_routes_and_says_why_a_short_one_cannot(api_client, merchant, stocked):
    stocked_warehouse(merchant_id=merchant.pk, stock={"TS-1": 1}, code="sz-2")

    body = api_client.post("/api/v1/rates/", order_payload() | {"warehouse": "any"}, format="json").json()

    assert {o["warehouse"] for o in body["options"]} == {None, "sz-1"}
    short = [e for e in body["exclusions"] if e["warehouse"] == "sz-2"]
    assert short and "lacks stock of TS-1" in short[0]["reason"]
    direct = api_client.post("/api/v1/rates/", order_payload(), format="json").json()
    assert {o["warehouse"] for o in direct["options"]} == {None}
