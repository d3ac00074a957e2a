"""The sandbox WMS over real HTTP, as a platform (or a tester) sees it: orders walk their stages,
shipping takes stock off the shelves, short picks and drift happen when asked, its webhooks are
signed and as unreliable as its knobs say, ASNs become receipts, and bad input is a 4xx."""

import hashlib
import hmac
import json
import threading
import uuid

import httpx
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from apps.sandbox.models import SandboxStock, SandboxWarehouse, SandboxWmsOrder
from apps.sandbox.wms_simulation import STEP_LOCK

pytestmark = pytest.mark.django_db(transaction=True)

SHIP_TO = {"name": "Ms Private", "street1": "Hauptstr. 1", "city": "Berlin", "postcode": "10115", "country": "DE"}


def headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {settings.SANDBOX_API_KEY}"}


class Sandbox:
    def __init__(self, live_server, code: str) -> None:
        self.root = f"{live_server.url}/sandbox/wms/"
        self.url = f"{self.root}{code}/"
        self.code = code

    def post(self, path: str, body=None, **kwargs) -> httpx.Response:
        return httpx.post(f"{self.url}{path}", json=body, headers=headers(), timeout=30, **kwargs)

    def get(self, path: str, **params) -> httpx.Response:
        return httpx.get(f"{self.url}{path}", params=params, headers=headers(), timeout=30)

    def order(self, reference: str, *lines: tuple[str, int]) -> httpx.Response:
        body = {
            "external_reference": reference,
            "lines": [{"sku": sku, "quantity": quantity} for sku, quantity in lines],
            "ship_to": SHIP_TO,
        }
        return self.post("orders/", body)

    def walk(self, reference: str) -> list[str]:
        return [self.post(f"orders/{reference}/advance/").json()["stage"] for _ in range(3)]

    def on_hand(self) -> dict[str, int]:
        return dict(SandboxStock.objects.filter(warehouse_code=self.code).values_list("sku", "on_hand"))

    def step(self) -> dict:
        return httpx.post(f"{self.root}step/", headers=headers(), timeout=30).json()


def test_an_order_walks_its_stages_and_shipping_takes_its_units_off_the_shelves(live_server):
    wms = Sandbox(live_server, "sb-walk")
    wms.post("stock/", {"items": [{"sku": "MUG", "on_hand": 10}, {"sku": "CUP", "on_hand": 4}]})

    created = wms.order("WO-1", ("MUG", 3), ("CUP", 1))
    stages = wms.walk("WO-1")
    shipped = wms.get("orders/WO-1/").json()

    assert created.status_code == 201 and created.json()["stage"] == "received"
    assert stages == ["picking", "packed", "shipped"]
    assert shipped["sequence"] == 4 and len(shipped["parcels"]) == 1
    assert [(line["shipped"], line["short"]) for line in shipped["lines"]] == [(3, 0), (1, 0)]
    assert wms.on_hand() == {"MUG": 7, "CUP": 3}


def test_the_same_reference_is_one_order_however_often_it_is_sent(live_server):
    wms = Sandbox(live_server, "sb-once")

    answers = [wms.order("WO-1", ("MUG", 1)) for _ in range(3)]

    assert [a.status_code for a in answers] == [201, 200, 200]
    assert len({a.json()["wms_order_id"] for a in answers}) == 1
    [order] = SandboxWmsOrder.objects.filter(warehouse_code="sb-once")
    assert order.create_attempts == 3
    assert [c["cursor"] for c in wms.get("changes/").json()["changes"]] == ["1"]


def test_lines_without_stock_are_short_and_an_order_with_nothing_to_pick_is_rejected(live_server):
    wms = Sandbox(live_server, "sb-short")
    wms.post("stock/", {"items": [{"sku": "MUG", "on_hand": 2}]})
    wms.order("WO-1", ("MUG", 5), ("GHOST", 1))
    wms.order("WO-2", ("GHOST", 1))

    partly = wms.walk("WO-1")
    nothing = wms.walk("WO-2")

    lines = wms.get("orders/WO-1/").json()["lines"]
    assert partly == ["picking", "packed", "partially_shipped"]
    assert [(line["sku"], line["shipped"], line["short"]) for line in lines] == [("MUG", 2, 3), ("GHOST", 0, 1)]
    assert nothing == ["picking", "rejected", "rejected"]
    assert wms.on_hand() == {"MUG": 0}


def test_the_short_pick_knob_shorts_lines_that_have_stock(live_server):
    wms = Sandbox(live_server, "sb-knob-short")
    wms.post("stock/", {"items": [{"sku": "MUG", "on_hand": 100}]})
    wms.post("behaviour/", {"short_pick_rate": 1.0})
    wms.order("WO-1", ("MUG", 4))

    wms.walk("WO-1")

    [line] = wms.get("orders/WO-1/").json()["lines"]
    assert 1 <= line["short"] <= 4 and line["shipped"] == 4 - line["short"]
    assert wms.on_hand() == {"MUG": 100 - line["shipped"]}


def test_cancel_is_refused_once_picking_started(live_server):
    wms = Sandbox(live_server, "sb-cancel")
    wms.order("WO-1", ("MUG", 1))
    wms.order("WO-2", ("MUG", 1))
    wms.post("orders/WO-2/advance/")

    accepted = wms.post("orders/WO-1/cancel/")
    again = wms.post("orders/WO-1/cancel/")
    refused = wms.post("orders/WO-2/cancel/")

    assert (accepted.status_code, accepted.json()["stage"], again.status_code) == (200, "cancelled", 200)
    assert refused.status_code == 409 and "picking" in refused.json()["error"]
    assert wms.get("orders/WO-2/").json()["stage"] == "picking"
    assert wms.post("orders/WO-404/cancel/").status_code == 404


def test_beat_steps_move_orders_once_their_time_in_a_stage_is_up(live_server):
    wms = Sandbox(live_server, "sb-timed")
    wms.post("behaviour/", {"stage_seconds": 0})
    wms.post("stock/", {"items": [{"sku": "MUG", "on_hand": 1}]})
    wms.order("WO-1", ("MUG", 1))
    slow = Sandbox(live_server, "sb-slow")
    slow.post("behaviour/", {"stage_seconds": 3600})
    slow.order("WO-1", ("MUG", 1))

    moved = [wms.step()["moved"] for _ in range(4)]

    assert moved[:3] == [1, 1, 1] and moved[3] == 0
    assert wms.get("orders/WO-1/").json()["stage"] == "shipped"
    assert slow.get("orders/WO-1/").json()["stage"] == "received"


def test_only_one_step_runs_at_a_time(live_server):
    wms = Sandbox(live_server, "sb-lock")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [STEP_LOCK])
        try:
            busy = httpx.post(f"{wms.root}step/", headers=headers())
        finally:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [STEP_LOCK])

    assert busy.status_code == 409
    assert httpx.post(f"{wms.root}step/", headers=headers()).status_code == 200


def _verify(secret: str, signature: str, body: bytes) -> bool:
    fields = dict(part.split("=", 1) for part in signature.split(","))
    expected = hmac.new(secret.encode(), fields["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields["v1"])


def _receiver(live_server, name: str) -> str:
    # The receivers keep what they got in Redis across runs: a fresh name per test.
    return f"{live_server.url}/sandbox/receivers/{name}-{uuid.uuid4().hex[:12]}/"


def _received(url: str) -> list[dict]:
    return list(reversed(httpx.get(url, headers=headers()).json()["requests"]))


def test_webhooks_are_signed_and_carry_each_change(live_server):
    wms = Sandbox(live_server, "sb-hooks")
    receiver = _receiver(live_server, "sb-hooks")
    wms.post("behaviour/", {"webhook_url": receiver, "webhook_secret": "s3cret", "webhook_duplicate_rate": 0})
    wms.post("stock/", {"items": [{"sku": "MUG", "on_hand": 1}]})
    wms.order("WO-1", ("MUG", 1))
    wms.walk("WO-1")

    wms.step()
    wms.step()

    deliveries = _received(receiver)
    bodies = [json.loads(d["body"]) for d in deliveries]
    assert all(_verify("s3cret", d["headers"]["x-wms-signature"], d["body"].encode()) for d in deliveries)
    assert sorted(b["order"]["sequence"] for b in bodies) == [1, 2, 3, 4]
    assert {(b["type"], b["warehouse_code"], b["order"]["external_reference"]) for b in bodies} == {
        ("order", "sb-hooks", "WO-1")
    }


def test_webhook_knobs_send_twice_or_never(live_server):
    twice, never = Sandbox(live_server, "sb-twice"), Sandbox(live_server, "sb-never")
    twice_url, never_url = _receiver(live_server, "sb-twice"), _receiver(live_server, "sb-never")
    twice.post("behaviour/", {"webhook_url": twice_url, "webhook_secret": "s", "webhook_duplicate_rate": 1.0})
    never.post("behaviour/", {"webhook_url": never_url, "webhook_secret": "s", "webhook_drop_rate": 1.0})
    twice.order("WO-1", ("MUG", 1))
    never.order("WO-1", ("MUG", 1))

    twice.step()
    never.step()

    assert [json.loads(d["body"])["order"]["sequence"] for d in _received(twice_url)] == [1, 1]
    assert _received(never_url) == []
    # Dropped news is still in `changes since cursor`: that is how a platform catches up.
    assert len(never.get("changes/").json()["changes"]) == 1


def test_a_failing_receiver_is_retried_then_given_up(live_server):
    wms = Sandbox(live_server, "sb-retry")
    url = _receiver(live_server, "sb-retry") + "?status=503"
    wms.post("behaviour/", {"webhook_url": url, "webhook_secret": "s", "webhook_duplicate_rate": 0})
    wms.order("WO-1", ("MUG", 1))

    posts = [wms.step()["webhook_posts"] for _ in range(6)]

    assert posts == [1, 1, 1, 1, 1, 0]


def test_changes_have_increasing_cursors_and_a_cursor_skips_what_was_read(live_server):
    wms = Sandbox(live_server, "sb-cursor")
    for n in range(5):
        wms.order(f"WO-{n}", ("MUG", 1))

    first = wms.get("changes/", limit=3).json()
    rest = wms.get("changes/", cursor=first["next_cursor"], limit=3).json()
    empty = wms.get("changes/", cursor=rest["next_cursor"]).json()

    cursors = [int(c["cursor"]) for c in first["changes"] + rest["changes"]]
    assert cursors == sorted(cursors) and len(set(cursors)) == 5
    assert (first["has_more"], rest["has_more"]) == (True, False)
    assert empty == {"changes": [], "next_cursor": rest["next_cursor"], "has_more": False}


def test_changes_created_concurrently_still_come_in_cursor_order(live_server):
    wms = Sandbox(live_server, "sb-race")
    threads = [threading.Thread(target=wms.order, args=(f"WO-{n}", ("MUG", 1))) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    changes = wms.get("changes/").json()["changes"]

    assert [int(c["cursor"]) for c in changes] == list(range(1, 9))
    assert SandboxWarehouse.objects.get(code="sb-race").last_cursor == 8


def test_drift_moves_on_hand_by_small_amounts(live_server):
    wms = Sandbox(live_server, "sb-drift")
    wms.post("stock/", {"items": [{"sku": f"S{n}", "on_hand": 10} for n in range(50)]})
    wms.post("behaviour/", {"drift_rate": 0.2})

    result = wms.step()

    changed = {sku: n for sku, n in wms.on_hand().items() if n != 10}
    assert result["drifted"] == 10
    assert len(changed) == 10 and all(8 <= n <= 12 for n in changed.values())


def test_an_asn_received_over_short_and_damaged_makes_a_receipt_and_stock(live_server):
    wms = Sandbox(live_server, "sb-asn")
    asn = {"external_reference": "ASN-1", "lines": [{"sku": "MUG", "expected": 10}, {"sku": "CUP", "expected": 4}]}

    created = [wms.post("asns/", asn).status_code for _ in range(2)]
    counted = {"lines": [{"sku": "MUG", "accepted": 12, "damaged": 0}, {"sku": "CUP", "accepted": 2, "damaged": 1}]}
    receipt = wms.post("asns/ASN-1/receive/", counted)
    everything = wms.post("asns/ASN-1/receive/")

    assert created == [201, 200]
    assert receipt.status_code == 201 and receipt.json()["lines"] == counted["lines"]
    assert [r["receipt_id"] for r in wms.get("asns/ASN-1/receipts/").json()["receipts"]] == [
        receipt.json()["receipt_id"],
        everything.json()["receipt_id"],
    ]
    assert wms.on_hand() == {"MUG": 22, "CUP": 6}


def test_snapshot_pages_cover_every_sku_once_and_a_bad_token_is_a_400(live_server):
    wms = Sandbox(live_server, "sb-snap")
    call_command("sandbox_wms_stock", "sb-snap", "--generate", "2345", "--on-hand", "7", "--set", "ZED=1")

    pages = [wms.get("stock/", page_size=1000).json()]
    while pages[-1]["next_page"]:
        pages.append(wms.get("stock/", page=pages[-1]["next_page"], page_size=1000).json())

    skus = [item["sku"] for page in pages for item in page["items"]]
    assert len(pages) == 3 and len(skus) == len(set(skus)) == 2346
    assert skus[0] == "BENCH-000001" and skus[-1] == "ZED"
    assert wms.get("stock/", page="not-a-token").status_code == 400
    assert wms.get("stock/", page="OTk5OTk5OTpB").status_code == 410  # snapshot 9999999: gone


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "orders/", b"not json"),
        ("post", "orders/", b"[]"),
        ("post", "orders/", b'{"external_reference": "R", "lines": [], "ship_to": {}}'),
        ("post", "orders/", b'{"external_reference": "R", "lines": [{"sku": "A", "quantity": -1}], "ship_to": {}}'),
        ("post", "orders/", b'{"external_reference": "R", "lines": [{"sku": "A", "quantity": 1}], "ship_to": 5}'),
        (
            "post",
            "orders/",
            b'{"external_reference": "R", "lines": [{"sku": "A", "quantity": 1}], "ship_to": {}, "ship_by": "soon"}',
        ),
        ("post", "orders/", b'{"external_reference": "R/1", "lines": [{"sku": "A", "quantity": 1}], "ship_to": {}}'),
        ("post", "asns/", b'{"external_reference": "R", "lines": [{"sku": "A", "expected": "many"}]}'),
        ("post", "stock/", b'{"items": [{"sku": "A", "on_hand": -3}]}'),
        ("post", "stock/", b"[1, 2]"),
        ("post", "behaviour/", b'{"error_rate": 7}'),
        ("post", "behaviour/", b'{"outage": "false"}'),
        ("post", "behaviour/", b'{"no_such_knob": 1}'),
        ("post", "behaviour/", b'{"webhook_url": "not a url"}'),
        ("get", "changes/?cursor=abc", None),
    ],
)
def test_bad_input_is_a_4xx_and_changes_nothing(live_server, method, path, body):
    url = f"{live_server.url}/sandbox/wms/sb-bad/{path}"

    response = httpx.request(method.upper(), url, content=body, headers=headers())

    assert 400 <= response.status_code < 500, response.text
    assert not SandboxWmsOrder.objects.exists() and not SandboxStock.objects.exists()
    knobs = httpx.get(f"{live_server.url}/sandbox/wms/sb-bad/behaviour/", headers=headers()).json()
    assert (knobs["error_rate"], knobs["outage"], knobs["webhook_url"]) == (0.0, False, "")


def test_without_the_api_key_the_sandbox_wms_answers_nothing(live_server):
    wms = Sandbox(live_server, "sb-locked")
    wms.order("WO-1", ("MUG", 1))
    anonymous = {"Authorization": "Bearer wrong"}

    answers = [
        httpx.get(f"{wms.url}orders/", headers=anonymous),
        httpx.get(f"{wms.url}orders/WO-1/", headers=anonymous),
        httpx.post(f"{wms.url}orders/WO-1/cancel/", headers=anonymous),
        httpx.post(f"{wms.url}orders/WO-1/advance/", headers=anonymous),
        httpx.get(f"{wms.url}changes/", headers=anonymous),
        httpx.get(f"{wms.url}stock/", headers=anonymous),
        httpx.post(f"{wms.url}stock/", json={"items": []}, headers=anonymous),
        httpx.post(f"{wms.url}asns/", json={}, headers=anonymous),
        httpx.post(f"{wms.url}behaviour/", json={"outage": True}, headers=anonymous),
        httpx.post(f"{wms.root}step/", headers=anonymous),
    ]

    assert [a.status_code for a in answers] == [401] * len(answers)
    assert "Ms Private" not in "".join(a.text for a in answers)
    assert SandboxWarehouse.objects.get(code="sb-locked").outage is False


def test_the_admin_lists_and_changes_the_sandbox_wms_without_showing_its_secret(client, django_user_model, live_server):
    wms = Sandbox(live_server, "sb-admin")
    wms.post("behaviour/", {"webhook_secret": "admin-must-not-show"})
    wms.order("WO-1", ("MUG", 1))
    wms.post("asns/", {"external_reference": "ASN-1", "lines": [{"sku": "MUG", "expected": 1}]})
    wms.post("asns/ASN-1/receive/")
    client.force_login(django_user_model.objects.create_superuser(username="root", password="pw-root-123456"))
    warehouse = SandboxWarehouse.objects.get(code="sb-admin")

    pages = [
        client.get(f"/admin/sandbox/{model}/")
        for model in ("sandboxwarehouse", "sandboxwmsorder", "sandboxstock", "sandboxasn")
    ]
    change = client.get(f"/admin/sandbox/sandboxwarehouse/{warehouse.pk}/change/")

    assert [p.status_code for p in pages] == [200] * 4 and change.status_code == 200
    assert all("admin-must-not-show" not in p.content.decode() for p in [*pages, change])
