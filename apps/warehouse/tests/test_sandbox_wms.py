"""The warehouse center against the sandbox WMS over real HTTP: orders submitted once, followed
through signed webhooks into `/warehouse/wms-webhooks/<code>/` (duplicates answered 2xx, forged
ones 4xx) and by polling; ASN receipts pushed back; the snapshot read page by page."""

import httpx
import pytest
from django.conf import settings

from apps.common.testing import sandbox_headers
from apps.resources.services import warehouse_upsert
from apps.warehouse.models import StockMovement, WarehouseOrder, WmsCall
from apps.warehouse.services import (
    asn_announce,
    asn_create,
    stock_check,
    warehouse_order_submit,
    warehouse_poll_changes,
    warehouse_stock_snapshot_reconcile,
)
from apps.warehouse.tests.test_orders import MERCHANT, create, levels, stock

pytestmark = pytest.mark.django_db(transaction=True)


class SandboxWarehouse:
    def __init__(self, live_server, code: str, *, webhooks: bool = True) -> None:
        self.code = code
        self.url = f"{live_server.url}/sandbox/wms/{code}/"
        self.live_server = live_server
        warehouse_upsert(
            code=code,
            name=code,
            country="HK",
            city="Hong Kong",
            ships_to=["DE"],
            endpoint_url=self.url,
            handling_fee=0,
            currency="USD",
            carrier_codes=[],
            address={
                "line1": "8 Cheung Yue Street, Cheung Sha Wan",
                "postal_code": "999077",
                "phone": "+852 2000 0000",
            },
        )
        self.knobs(
            webhook_url=f"{live_server.url}/warehouse/wms-webhooks/{code}/" if webhooks else "",
            webhook_secret=settings.WMS_WEBHOOK_SECRET,
            webhook_duplicate_rate=1.0 if webhooks else 0,
            webhook_shuffle=False,
        )

    def knobs(self, **knobs) -> dict:
        response = httpx.post(f"{self.url}behaviour/", json=knobs, headers=sandbox_headers())
        response.raise_for_status()
        return response.json()

    def stock(self, items: dict[str, int]) -> None:
        body = {"items": [{"sku": sku, "on_hand": n} for sku, n in items.items()]}
        httpx.post(f"{self.url}stock/", json=body, headers=sandbox_headers(), timeout=60).raise_for_status()

    def advance(self, reference: str) -> None:
        httpx.post(f"{self.url}orders/{reference}/advance/", headers=sandbox_headers()).raise_for_status()

    def step(self) -> dict:
        response = httpx.post(f"{self.live_server.url}/sandbox/wms/step/", headers=sandbox_headers(), timeout=60)
        response.raise_for_status()
        return response.json()

    def orders(self, reference: str) -> list[dict]:
        return httpx.get(f"{self.url}orders/", params={"reference": reference}, headers=sandbox_headers()).json()[
            "orders"
        ]


def test_an_order_goes_to_the_wms_once_and_follows_its_webhooks_to_shipped(live_server):
    wms = SandboxWarehouse(live_server, "hk-1")
    wms.stock({"MUG": 10})
    stock("MUG", 10)
    warehouse_order = create([("MUG", 3)])

    warehouse_order_submit(warehouse_order_id=warehouse_order.pk)
    warehouse_order_submit(warehouse_order_id=warehouse_order.pk)
    ref = f"WO-{warehouse_order.pk}"
    for _ in range(3):  # received -> picking -> packed -> shipped, each pushed (twice) as it happens
        wms.advance(ref)
        wms.step()

    warehouse_order.refresh_from_db()
    [sandbox_order] = wms.orders(ref)
    assert sandbox_order["create_attempts"] == 1  # the second submit found it accepted
    assert warehouse_order.state == "shipped"
    assert warehouse_order.parcels and warehouse_order.parcels[0]["weight_kg"]
    assert levels("MUG") == (7, 0, 7)
    assert StockMovement.objects.filter(kind="shipped").count() == 1
    assert WmsCall.objects.filter(warehouse_order_id=warehouse_order.pk, operation="create_order").exists()
    assert stock_check().differences == []


def test_webhooks_with_a_bad_signature_are_refused_and_change_nothing(live_server):
    SandboxWarehouse(live_server, "hk-1")
    stock("MUG", 10)
    warehouse_order = create([("MUG", 1)])
    body = f'{{"external_reference": "WO-{warehouse_order.pk}", "stage": "shipped"}}'.encode()

    forged = httpx.post(
        f"{live_server.url}/warehouse/wms-webhooks/hk-1/", content=body, headers={"X-Wms-Signature": "t=1,v1=00"}
    )
    unknown = httpx.post(f"{live_server.url}/warehouse/wms-webhooks/nowhere/", content=body)

    assert forged.status_code in (400, 401) and forged.json()["code"] == "invalid_signature"
    assert unknown.status_code == 404
    assert WarehouseOrder.objects.get(pk=warehouse_order.pk).state == "allocated"


def test_polling_alone_follows_the_wms_when_no_webhook_comes(live_server):
    wms = SandboxWarehouse(live_server, "hk-2", webhooks=False)
    wms.stock({"MUG": 10})
    stock("MUG", 10, warehouse_code="hk-2")
    warehouse_order = warehouse_order_submit(warehouse_order_id=_create_at("hk-2", [("MUG", 2)]).pk)
    for _ in range(3):
        wms.advance(f"WO-{warehouse_order.pk}")

    read = warehouse_poll_changes(warehouse_code="hk-2")

    assert read >= 4
    assert WarehouseOrder.objects.get(pk=warehouse_order.pk).state == "shipped"


def _create_at(warehouse_code, lines):
    from apps.warehouse.services import warehouse_order_create
    from apps.warehouse.tests.test_orders import SHIP_TO

    return warehouse_order_create(
        order_id=9, merchant_id=MERCHANT, warehouse_code=warehouse_code, lines=lines, ship_to=SHIP_TO
    )


def test_an_asn_receipt_pushed_by_the_wms_becomes_stock_once(live_server):
    wms = SandboxWarehouse(live_server, "hk-1")
    asn = asn_create(merchant_id=MERCHANT, warehouse_code="hk-1", lines=[("MUG", 6)])
    asn_announce(asn_id=asn.pk)
    asn_announce(asn_id=asn.pk)

    httpx.post(
        f"{wms.url}asns/{asn.external_reference}/receive/",
        json={"lines": [{"sku": "MUG", "accepted": 5, "damaged": 1}]},
        headers=sandbox_headers(),
    ).raise_for_status()
    wms.step()

    assert levels("MUG")[0] == 5
    assert StockMovement.objects.filter(kind="received").count() == 1


def test_the_snapshot_is_read_page_by_page_over_http_and_a_second_run_adjusts_nothing(live_server):
    wms = SandboxWarehouse(live_server, "hk-1", webhooks=False)
    items = {f"SKU{i:05}": 20 for i in range(2500)}
    wms.stock(items)
    for sku in list(items)[:50]:
        stock(sku, 19)

    first = warehouse_stock_snapshot_reconcile(warehouse_code="hk-1")
    second = warehouse_stock_snapshot_reconcile(warehouse_code="hk-1")

    assert (first.skus, first.adjusted) == (2500, 50)
    assert (second.adjusted, second.held) == (0, 2450)  # SKUs the merchant never told us about stay held
    assert levels("SKU00000")[0] == 20


def test_the_demo_books_agree_with_the_demo_warehouses_shelves(live_server, settings):
    from django.core.management import call_command

    settings.SITE_URL = live_server.url
    for _ in range(2):  # seeding twice counts the goods once
        call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115

    reports = [warehouse_stock_snapshot_reconcile(warehouse_code=code) for code in ("sz-fulfil", "rtm-fulfil")]

    assert all(r.outcome == "applied" and r.skus and (r.adjusted, r.held) == (0, 0) for r in reports)
    assert StockMovement.objects.filter(kind="adjustment").count() == sum(r.skus for r in reports)
    assert stock_check().differences == []


def test_webhooks_twice_shuffled_and_dropped_then_one_poll_end_every_order_where_the_wms_has_it(live_server):
    """The sandbox WMS sends every change twice, in shuffled order, drops a fifth, and picks some
    lines short; after one poll of changes every warehouse order is where the WMS has it, and
    every shipped unit has left our stock once."""
    wms = SandboxWarehouse(live_server, "hk-1")
    wms.knobs(webhook_shuffle=True, webhook_drop_rate=0.2, short_pick_rate=0.3)
    wms.stock({"A": 500, "B": 500})
    stock("A", 500)
    stock("B", 500)
    orders = [
        warehouse_order_submit(warehouse_order_id=create([("A", 3), ("B", 2), ("A", 1)], order_id=i).pk)
        for i in range(12)
    ]
    for warehouse_order in orders:
        for _ in range(3):
            wms.advance(f"WO-{warehouse_order.pk}")
    wms.step()

    warehouse_poll_changes(warehouse_code="hk-1")

    expected_state = {"shipped": "shipped", "partially_shipped": "incomplete", "rejected": "rejected"}
    shipped = {"A": 0, "B": 0}
    for warehouse_order in orders:
        [at_wms] = wms.orders(f"WO-{warehouse_order.pk}")
        warehouse_order.refresh_from_db()
        assert warehouse_order.state == expected_state[at_wms["stage"]], at_wms
        for line in at_wms["lines"]:
            shipped[line["sku"]] += line.get("shipped", 0)
        assert sum(line.shipped for line in warehouse_order.lines.all()) == sum(
            line.get("shipped", 0) for line in at_wms["lines"]
        )
    assert levels("A") == (500 - shipped["A"], 0, 500 - shipped["A"])
    assert levels("B") == (500 - shipped["B"], 0, 500 - shipped["B"])
    assert StockMovement.objects.filter(kind="shipped").count() <= 3 * len(orders)
    assert stock_check().differences == []
