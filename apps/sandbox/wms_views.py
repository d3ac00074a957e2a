"""The sandbox WMS's HTTP API under `/sandbox/wms/<code>/`: JSON in, JSON out, with the same
credential and failure knobs as the sandbox carriers. Test and demo controls (move an order on,
receive an ASN, seed stock, run a step, the knobs) sit beside the API a platform would use."""

import json
import random
import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from apps.sandbox import wms
from apps.sandbox.models import SandboxAsn, SandboxWarehouse, SandboxWmsOrder
from apps.sandbox.views import answer_slowly, credential_required, failure_answer
from apps.sandbox.wms_simulation import run_step


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def _behave(code: str) -> tuple[SandboxWarehouse, JsonResponse | None]:
    warehouse = wms.warehouse_get(code)
    return warehouse, failure_answer(warehouse, name="warehouse system")


def _lose_reply(warehouse: SandboxWarehouse) -> JsonResponse | None:
    """The work is done and committed, but the answer never makes it back in time."""
    if warehouse.lost_reply_rate and random.random() < warehouse.lost_reply_rate:
        time.sleep(settings.SANDBOX_HANG_SECONDS)
        return _error(504, "warehouse system timed out")
    return None


def _json(request):
    try:
        return json.loads(request.body or b"{}")
    except ValueError as exc:
        raise wms.Invalid("body must be JSON") from exc


def _int_param(request, name: str, default: int) -> int:
    raw = request.GET.get(name, "")
    return int(raw) if raw.isdigit() else default


@csrf_exempt
@credential_required
def orders(request, code):
    if request.method == "POST":
        return _order_create(request, code)
    if request.method == "GET":
        return _order_list(request, code)
    return _error(405, "GET or POST")


def _order_create(request, code):
    warehouse, failure = _behave(code)
    if failure:
        return failure
    try:
        order, created = wms.order_create(code, _json(request))
    except wms.Invalid as exc:
        return _error(422 if request.body else 400, str(exc))
    except IntegrityError:
        return _error(503, "the same reference is being created right now; ask again")
    return _lose_reply(warehouse) or answer_slowly(
        warehouse, JsonResponse(wms.order_json(order), status=201 if created else 200)
    )


def _order_list(request, code):
    """The warehouse's orders, newest first, optionally for one reference (tests, demos)."""
    found = SandboxWmsOrder.objects.filter(warehouse_code=code).order_by("-id")
    if request.GET.get("reference"):
        found = found.filter(external_reference=request.GET["reference"])
    return JsonResponse({"orders": [wms.order_json(o) for o in found[:500]]})


@credential_required
@require_GET
def order_detail(request, code, reference):
    warehouse, failure = _behave(code)
    if failure:
        return failure
    order = wms.order_get(code, reference)
    if order is None:
        return answer_slowly(warehouse, _error(404, "no such order"))
    return answer_slowly(warehouse, JsonResponse(wms.order_json(order)))


@csrf_exempt
@credential_required
@require_POST
def order_cancel(request, code, reference):
    warehouse, failure = _behave(code)
    if failure:
        return failure
    try:
        order = wms.order_cancel(code, reference)
    except wms.NotCancellable as exc:
        return answer_slowly(warehouse, _error(409, str(exc)))
    if order is None:
        return answer_slowly(warehouse, _error(404, "no such order"))
    return answer_slowly(warehouse, JsonResponse(wms.order_json(order)))


@csrf_exempt
@credential_required
@require_POST
def order_advance(request, code, reference):
    """Move the order one stage on now instead of waiting (tests and demos)."""
    order = wms.order_advance(code, reference)
    if order is None:
        return _error(404, "no such order")
    return JsonResponse(wms.order_json(order))


@credential_required
@require_GET
def changes(request, code):
    warehouse, failure = _behave(code)
    if failure:
        return failure
    try:
        page = wms.changes_list(code, request.GET.get("cursor", ""), limit=_int_param(request, "limit", 100))
    except wms.Invalid as exc:
        return _error(400, str(exc))
    body = {"changes": page.items, "next_cursor": page.next_cursor, "has_more": page.has_more}
    return answer_slowly(warehouse, JsonResponse(body))


@csrf_exempt
@credential_required
def stock(request, code):
    """GET a page of a stock snapshot (`?page=` from the previous one); POST `{"items": [{sku,
    on_hand}]}` to set stock (seeding and corrections, not behind the failure knobs)."""
    if request.method == "POST":
        try:
            written = wms.stock_set(code, _json(request).get("items"))
        except (wms.Invalid, AttributeError) as exc:
            return _error(400, str(exc) if isinstance(exc, wms.Invalid) else 'send {"items": [...]}')
        return JsonResponse({"written": written})
    if request.method != "GET":
        return _error(405, "GET or POST")
    warehouse, failure = _behave(code)
    if failure:
        return failure
    try:
        page = wms.snapshot_page(
            code, request.GET.get("page") or None, page_size=_int_param(request, "page_size", 1000)
        )
    except wms.Invalid as exc:
        return _error(400, str(exc))
    except wms.SnapshotGone as exc:
        return _error(410, str(exc))
    return answer_slowly(warehouse, JsonResponse(page))


@csrf_exempt
@credential_required
@require_POST
def asns(request, code):
    warehouse, failure = _behave(code)
    if failure:
        return failure
    try:
        asn, created = wms.asn_create(code, _json(request))
    except wms.Invalid as exc:
        return _error(422 if request.body else 400, str(exc))
    except IntegrityError:
        return _error(503, "the same reference is being created right now; ask again")
    return _lose_reply(warehouse) or answer_slowly(
        warehouse, JsonResponse(wms.asn_json(asn), status=201 if created else 200)
    )


def _asn(code, reference) -> SandboxAsn | None:
    return SandboxAsn.objects.filter(warehouse_code=code, external_reference=reference).first()


@credential_required
@require_GET
def asn_detail(request, code, reference):
    asn = _asn(code, reference)
    return JsonResponse(wms.asn_json(asn)) if asn else _error(404, "no such ASN")


@credential_required
@require_GET
def asn_receipts(request, code, reference):
    warehouse, failure = _behave(code)
    if failure:
        return failure
    asn = _asn(code, reference)
    if asn is None:
        return answer_slowly(warehouse, _error(404, "no such ASN"))
    return answer_slowly(
        warehouse, JsonResponse({"receipts": [wms.receipt_json(r) for r in asn.receipts.order_by("id")]})
    )


@csrf_exempt
@credential_required
@require_POST
def asn_receive(request, code, reference):
    """The ASN's goods arrive: `{"lines": [{sku, accepted, damaged}]}` (over, short or damaged as
    you like), or no body to accept exactly what was expected. Makes a receipt and its webhook."""
    try:
        receipt = wms.asn_receive(code, reference, _json(request))
    except wms.Invalid as exc:
        return _error(400, str(exc))
    if receipt is None:
        return _error(404, "no such ASN")
    return JsonResponse(wms.receipt_json(receipt), status=201)


def _flag(value) -> bool:
    if not isinstance(value, bool):
        raise TypeError("switches are true or false")
    return value


KNOBS = {
    "latency_ms": int,
    "error_rate": float,
    "timeout_rate": float,
    "outage": _flag,
    "lost_reply_rate": float,
    "stage_seconds": int,
    "short_pick_rate": float,
    "drift_rate": float,
    "webhook_url": str,
    "webhook_secret": str,
    "webhook_duplicate_rate": float,
    "webhook_shuffle": _flag,
    "webhook_delay_rate": float,
    "webhook_drop_rate": float,
}


@csrf_exempt
@credential_required
def behaviour(request, code):
    """GET the warehouse's knobs, or POST some of them as JSON. The webhook secret can be set but
    is never shown (whoever reads it could sign warehouse news the platform would believe)."""
    warehouse = wms.warehouse_get(code)
    if request.method == "POST":
        try:
            changes = json.loads(request.body or b"{}")
            for name, value in changes.items():
                setattr(warehouse, name, KNOBS[name](value) if value is not None else None)
            if any(not 0 <= getattr(warehouse, name) <= 1 for name in KNOBS if name.endswith("_rate")):
                raise ValueError("rates are shares from 0 to 1")
            warehouse.full_clean(exclude=["code"])
        except (ValueError, KeyError, TypeError, AttributeError, ValidationError) as exc:
            return _error(400, f"send JSON with any of {sorted(KNOBS)} ({exc})")
        warehouse.save()
    knobs = {name: getattr(warehouse, name) for name in KNOBS if name != "webhook_secret"}
    return JsonResponse({**knobs, "webhook_secret_set": bool(warehouse.webhook_secret)})


@csrf_exempt
@credential_required
@require_POST
def step(request):
    """Run one step of the WMS simulation now instead of waiting for beat (tests and demos)."""
    result = run_step()
    if result is None:
        return _error(409, "a step is running; ask again")
    return JsonResponse(result)
