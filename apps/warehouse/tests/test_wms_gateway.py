"""The WMS gateway against the sandbox WMS over real HTTP: one WMS order per warehouse order
whatever the network does, failures classified for the breaker, cancels refused once picking
started, complete paged snapshots, each change once in order, and only genuine webhooks believed."""

import time
import uuid
from datetime import date
from types import SimpleNamespace

import httpx
import pytest
from django.conf import settings

from apps.common.testing import sandbox_headers
from apps.warehouse.wms import HttpWmsGateway, InvalidWmsWebhook, WmsRefused, WmsUnavailable, wms_gateway_for
from apps.warehouse.wms.types import (
    AsnLine,
    AsnRequest,
    Receipt,
    WmsAddress,
    WmsOrder,
    WmsOrderLine,
    WmsOrderRequest,
    WmsStage,
)

pytestmark = pytest.mark.django_db(transaction=True)

ADDRESS = WmsAddress(
    name="Ms Private",
    company="",
    street1="Hauptstr. 1",
    street2="",
    city="Berlin",
    state="",
    postcode="10115",
    country="DE",
    phone="+49301234567",
    email="private@example.com",
)


def _order(reference: str, code: str, *lines: tuple[str, int]) -> WmsOrderRequest:
    return WmsOrderRequest(
        external_reference=reference,
        warehouse_code=code,
        lines=tuple(WmsOrderLine(sku=sku, quantity=quantity) for sku, quantity in lines or [("SKU-1", 1)]),
        ship_to=ADDRESS,
        ship_by=date(2026, 12, 24),
    )


class Wms:
    """One sandbox warehouse seen from both sides: the platform's gateway, and the sandbox's own
    records and knobs (over its HTTP API, as a tester would)."""

    def __init__(self, live_server, code: str, **gateway_options) -> None:
        self.code = code
        self.url = f"{live_server.url}/sandbox/wms/{code}/"
        self.live_server = live_server
        self.calls = []
        warehouse = SimpleNamespace(code=code, endpoint_url=self.url)
        self.gateway = wms_gateway_for(warehouse, observer=self.calls.append, **gateway_options)

    def knobs(self, **knobs) -> dict:
        response = httpx.post(f"{self.url}behaviour/", json=knobs, headers=sandbox_headers())
        response.raise_for_status()
        return response.json()

    def orders(self, reference: str) -> list[dict]:
        response = httpx.get(f"{self.url}orders/", params={"reference": reference}, headers=sandbox_headers())
        return response.json()["orders"]

    def advance(self, reference: str) -> dict:
        response = httpx.post(f"{self.url}orders/{reference}/advance/", headers=sandbox_headers())
        response.raise_for_status()
        return response.json()

    def stock(self, items: dict[str, int]) -> None:
        body = {"items": [{"sku": sku, "on_hand": on_hand} for sku, on_hand in items.items()]}
        httpx.post(f"{self.url}stock/", json=body, headers=sandbox_headers(), timeout=30).raise_for_status()

    def step(self) -> dict:
        response = httpx.post(f"{self.live_server.url}/sandbox/wms/step/", headers=sandbox_headers(), timeout=30)
        response.raise_for_status()
        return response.json()

    def webhooks_to(self, receiver: str) -> str:
        # The receivers keep what they got in Redis across runs: a fresh name per test.
        url = f"{self.live_server.url}/sandbox/receivers/{receiver}-{uuid.uuid4().hex[:12]}/"
        self.knobs(
            webhook_url=url,
            webhook_secret=settings.WMS_WEBHOOK_SECRET,
            webhook_duplicate_rate=0,
            webhook_shuffle=False,
        )
        return url


def received(url: str) -> list[dict]:
    """What a sandbox receiver got, oldest first."""
    return list(reversed(httpx.get(url, headers=sandbox_headers()).json()["requests"]))


def test_creating_twice_with_the_same_reference_makes_one_wms_order(live_server):
    wms = Wms(live_server, "wms-twice")

    first = wms.gateway.create_order(_order("WO-1", wms.code))
    second = wms.gateway.create_order(_order("WO-1", wms.code))

    assert first.wms_order_id == second.wms_order_id
    assert first.stage == WmsStage.RECEIVED and first.sequence == 1
    [order] = wms.orders("WO-1")
    assert order["create_attempts"] == 2
    assert [(c.operation, c.outcome) for c in wms.calls] == [("create_order", "ok")] * 2


def test_a_lost_reply_is_found_by_reference_instead_of_creating_again(live_server, settings):
    settings.SANDBOX_HANG_SECONDS = 1.5
    wms = Wms(live_server, "wms-lossy", timeout=0.5)
    wms.knobs(lost_reply_rate=1.0)

    order = wms.gateway.create_order(_order("WO-7", wms.code, ("SKU-1", 2)))

    assert order.external_reference == "WO-7" and order.stage == WmsStage.RECEIVED
    [kept] = wms.orders("WO-7")
    assert kept["wms_order_id"] == order.wms_order_id
    assert kept["create_attempts"] == 1  # looked up, not posted again
    assert [(c.operation, c.outcome, c.timed_out) for c in wms.calls] == [
        ("create_order", "failed", True),
        ("get_order", "ok", False),
    ]


def test_a_reply_lost_before_the_wms_created_anything_is_created_once_more(live_server):
    wms = Wms(live_server, "wms-flaky")
    wms.knobs(error_rate=1.0)

    with pytest.raises(WmsUnavailable):
        wms.gateway.create_order(_order("WO-8", wms.code))
    wms.knobs(error_rate=0.0)
    order = wms.gateway.create_order(_order("WO-8", wms.code))

    assert [o["wms_order_id"] for o in wms.orders("WO-8")] == [order.wms_order_id]
    # The failed POST was followed by a lookup (which failed too); the next call's POST created it.
    assert [c.operation for c in wms.calls] == ["create_order", "get_order", "create_order"]


def test_a_wms_that_is_down_is_unavailable_and_reported_as_failed(live_server):
    wms = Wms(live_server, "wms-down")
    wms.knobs(outage=True)

    with pytest.raises(WmsUnavailable):
        wms.gateway.get_order("WO-1")
    with pytest.raises(WmsUnavailable):
        wms.gateway.changes_since("")
    nobody_listens = HttpWmsGateway(
        warehouse_code="wms-gone", endpoint_url="http://127.0.0.1:9/", api_key="", webhook_secret=""
    )
    with pytest.raises(WmsUnavailable) as unreachable:
        nobody_listens.create_order(_order("WO-1", "wms-gone"))

    assert unreachable.value.may_have_arrived is False  # so no lookup was tried either
    assert [(c.outcome, c.status_code) for c in wms.calls] == [("failed", 503)] * 2


def test_a_refusal_is_permanent_and_says_why(live_server):
    wms = Wms(live_server, "wms-strict")

    with pytest.raises(WmsRefused) as refused:
        wms.gateway.create_order(_order("WO-2", wms.code, ("SKU-1", 0)))

    assert refused.value.status_code == 422 and "quantity" in refused.value.reason
    assert wms.orders("WO-2") == []
    assert [c.outcome for c in wms.calls] == ["refused"]


def test_cancel_is_accepted_until_picking_starts_then_refused_with_a_reason(live_server):
    wms = Wms(live_server, "wms-cancel")
    wms.gateway.create_order(_order("WO-3", wms.code))
    wms.gateway.create_order(_order("WO-4", wms.code))
    wms.advance("WO-4")

    early = wms.gateway.cancel_order("WO-3")
    late = wms.gateway.cancel_order("WO-4")

    assert early.accepted is True
    assert late.accepted is False and "picking" in late.reason
    assert wms.gateway.get_order("WO-3").stage == WmsStage.CANCELLED
    assert wms.gateway.get_order("WO-4").stage == WmsStage.PICKING
    assert wms.gateway.get_order("WO-unknown") is None


def test_a_paged_snapshot_is_complete_and_stays_as_taken_while_stock_moves(live_server):
    wms = Wms(live_server, "wms-snap", snapshot_page_size=1000)
    wms.stock({f"SKU-{n:05d}": n % 7 + 3 for n in range(2500)})
    wms.gateway.create_order(_order("WO-5", wms.code, ("SKU-00000", 3)))

    pages = [wms.gateway.stock_snapshot()]
    for _ in range(3):  # ship while the snapshot is being read: its pages must not notice
        wms.advance("WO-5")
    while pages[-1].next_page:
        pages.append(wms.gateway.stock_snapshot(pages[-1].next_page))

    items = [item for page in pages for item in page.items]
    assert len(pages) == 3 and {page.snapshot_id for page in pages} == {pages[0].snapshot_id}
    assert len(items) == len({item.sku for item in items}) == 2500
    assert sum(item.on_hand for item in items) == sum(n % 7 + 3 for n in range(2500))
    shipped = wms.gateway.get_order("WO-5")
    assert shipped.stage == WmsStage.SHIPPED and shipped.changed_at > pages[0].taken_at
    fresh = wms.gateway.stock_snapshot()
    assert next(i.on_hand for i in fresh.items if i.sku == "SKU-00000") == 0


def test_changes_since_a_cursor_return_each_change_once_in_order(live_server):
    wms = Wms(live_server, "wms-news")
    small_pages = Wms(live_server, "wms-news", changes_page_size=2).gateway
    wms.stock({"SKU-1": 10})
    for reference in ("WO-a", "WO-b", "WO-c"):
        wms.gateway.create_order(_order(reference, wms.code))
    wms.advance("WO-b")
    wms.gateway.cancel_order("WO-a")
    wms.advance("WO-b")

    seen, cursor, pages = [], "", 0
    while True:
        page = small_pages.changes_since(cursor)
        seen += [(order.external_reference, order.sequence, order.stage) for order in page.orders]
        cursor, pages = page.next_cursor, pages + 1
        if not page.has_more:
            break
    wms.advance("WO-c")
    after = small_pages.changes_since(cursor)

    assert seen == [
        ("WO-a", 1, WmsStage.RECEIVED),
        ("WO-b", 1, WmsStage.RECEIVED),
        ("WO-c", 1, WmsStage.RECEIVED),
        ("WO-b", 2, WmsStage.PICKING),
        ("WO-a", 2, WmsStage.CANCELLED),
        ("WO-b", 3, WmsStage.PACKED),
    ]
    assert pages == 3
    assert [(o.external_reference, o.stage) for o in after.orders] == [("WO-c", WmsStage.PICKING)]
    assert small_pages.changes_since(after.next_cursor).orders == ()


def test_a_signed_webhook_is_believed_and_a_forged_or_stale_one_is_not(live_server, settings):
    wms = Wms(live_server, "wms-hooks")
    receiver = wms.webhooks_to("wms-hooks")
    wms.gateway.create_order(_order("WO-6", wms.code))
    wms.step()

    [delivery] = received(receiver)
    body, headers = delivery["body"].encode(), {"X-Wms-Signature": delivery["headers"]["x-wms-signature"]}
    news = wms.gateway.parse_webhook(body, headers)

    assert isinstance(news, WmsOrder) and (news.external_reference, news.sequence) == ("WO-6", 1)
    forged = body.replace(b'"received"', b'"shipped"')
    with pytest.raises(InvalidWmsWebhook, match="signature"):
        wms.gateway.parse_webhook(forged, headers)
    with pytest.raises(InvalidWmsWebhook, match="signature header"):
        wms.gateway.parse_webhook(body, {})
    other_warehouse = Wms(live_server, "wms-other").gateway
    with pytest.raises(InvalidWmsWebhook, match="another warehouse"):
        other_warehouse.parse_webhook(body, headers)
    settings.WMS_WEBHOOK_TOLERANCE_SECONDS = 0
    time.sleep(1.1)
    with pytest.raises(InvalidWmsWebhook, match="stale"):
        wms.gateway.parse_webhook(body, headers)


def test_a_webhook_signed_with_another_secret_is_refused(live_server, settings):
    settings.WMS_WEBHOOK_SECRETS = {"wms-own-secret": "the-real-secret-of-this-warehouse"}
    wms = Wms(live_server, "wms-own-secret")
    receiver = wms.webhooks_to("wms-own-secret")  # the sandbox still signs with the shared secret
    wms.gateway.create_order(_order("WO-9", wms.code))
    wms.step()

    [delivery] = received(receiver)
    with pytest.raises(InvalidWmsWebhook, match="signature does not match"):
        wms.gateway.parse_webhook(
            delivery["body"].encode(), {"x-wms-signature": delivery["headers"]["x-wms-signature"]}
        )


def test_an_asn_is_created_once_and_its_receipts_come_back_by_poll_and_webhook(live_server):
    wms = Wms(live_server, "wms-asn")
    receiver = wms.webhooks_to("wms-asn")
    asn = AsnRequest(
        external_reference="ASN-1",
        warehouse_code=wms.code,
        lines=(AsnLine(sku="SKU-1", expected=10), AsnLine(sku="SKU-2", expected=5)),
        expected_at=date(2026, 12, 10),
    )

    wms.gateway.create_asn(asn)
    wms.gateway.create_asn(asn)
    counted = {"lines": [{"sku": "SKU-1", "accepted": 11, "damaged": 0}, {"sku": "SKU-2", "accepted": 3, "damaged": 1}]}
    httpx.post(f"{wms.url}asns/ASN-1/receive/", json=counted, headers=sandbox_headers()).raise_for_status()
    wms.step()

    detail = httpx.get(f"{wms.url}asns/ASN-1/", headers=sandbox_headers()).json()
    assert detail["create_attempts"] == 2
    [receipt] = wms.gateway.receipts("ASN-1")
    assert receipt.asn_reference == "ASN-1"
    assert [(line.sku, line.accepted, line.damaged) for line in receipt.lines] == [("SKU-1", 11, 0), ("SKU-2", 3, 1)]
    [delivery] = received(receiver)
    pushed = wms.gateway.parse_webhook(delivery["body"].encode(), delivery["headers"])
    assert isinstance(pushed, Receipt) and pushed == receipt
    snapshot = {item.sku: item.on_hand for item in wms.gateway.stock_snapshot().items}
    assert snapshot == {"SKU-1": 11, "SKU-2": 3}
    assert {c.outcome for c in wms.calls} == {"ok"}  # no create had to be looked up
    with pytest.raises(WmsRefused):
        wms.gateway.receipts("ASN-unknown")


def test_an_unreliable_wms_still_gets_one_order_per_warehouse_order(live_server, settings):
    """Lost replies, 503s and timeouts on a third of the calls: each order is retried as a task
    would (same reference) until it goes through, and the WMS ends up with exactly one each."""
    settings.SANDBOX_HANG_SECONDS = 0.6
    wms = Wms(live_server, "wms-chaos", timeout=0.3)
    wms.knobs(lost_reply_rate=0.3, error_rate=0.15, timeout_rate=0.1)
    references = [f"WO-{n}" for n in range(30)]

    for reference in references:
        for _ in range(20):
            try:
                wms.gateway.create_order(_order(reference, wms.code))
                break
            except WmsUnavailable:
                continue

    orders = httpx.get(f"{wms.url}orders/", headers=sandbox_headers()).json()["orders"]
    assert sorted(o["external_reference"] for o in orders) == sorted(references)  # 1.00 per warehouse order
    assert any(c.timed_out for c in wms.calls) and any(c.status_code == 503 for c in wms.calls)
