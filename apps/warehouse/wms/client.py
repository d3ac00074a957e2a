"""The HTTP client to a warehouse's WMS (the sandbox WMS speaks this JSON API; a real WMS gets
an adapter of its own behind the same `WmsGateway` interface). HTTP only, no ORM.

Creates are made safe to repeat: every create carries the platform's external reference (also
as `Idempotency-Key`), and after a failure that may have reached the WMS (a timeout, a lost
reply, a 5xx) the gateway first asks for the order by that reference and only creates it again
if the WMS does not have it. One warehouse order therefore makes one WMS order, even when the
WMS created it and the reply was lost.
"""

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

import httpx
from django.conf import settings

from apps.warehouse.wms.errors import InvalidWmsWebhook, WmsRefused, WmsUnavailable
from apps.warehouse.wms.types import (
    AsnRequest,
    CancelOutcome,
    Receipt,
    ReceiptLine,
    StockItem,
    StockSnapshotPage,
    WmsCallRecord,
    WmsChangesPage,
    WmsLineProgress,
    WmsOrder,
    WmsOrderRequest,
    WmsParcel,
    WmsStage,
)

WmsCallObserver = Callable[[WmsCallRecord], None]
SIGNATURE_HEADER = "x-wms-signature"
# POSTs of one create within one call: the second only after a lookup found nothing.
CREATE_ATTEMPTS = 2


def webhook_secret_for(warehouse_code: str) -> str:
    return settings.WMS_WEBHOOK_SECRETS.get(warehouse_code, settings.WMS_WEBHOOK_SECRET)


def api_key_for(warehouse_code: str) -> str:
    return settings.WMS_API_KEYS.get(warehouse_code, settings.WMS_API_KEY)


def _aware(raw: Any) -> datetime:
    moment = datetime.fromisoformat(raw)
    if moment.tzinfo is None:
        raise ValueError(f"time without a zone: {raw}")
    return moment


def _count(raw: Any) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
        raise ValueError(f"not a count: {raw!r}")
    return raw


def order_from_json(data: Mapping[str, Any]) -> WmsOrder:
    return WmsOrder(
        external_reference=str(data["external_reference"]),
        wms_order_id=str(data["wms_order_id"]),
        stage=WmsStage(data["stage"]),
        lines=tuple(
            WmsLineProgress(
                sku=str(line["sku"]),
                ordered=_count(line["ordered"]),
                shipped=_count(line["shipped"]),
                short=_count(line["short"]),
            )
            for line in data["lines"]
        ),
        parcels=tuple(
            WmsParcel(
                weight_kg=Decimal(str(p["weight_kg"])),
                length_cm=Decimal(str(p["length_cm"])),
                width_cm=Decimal(str(p["width_cm"])),
                height_cm=Decimal(str(p["height_cm"])),
            )
            for p in data.get("parcels", [])
        ),
        sequence=_count(data["sequence"]),
        changed_at=_aware(data["changed_at"]),
    )


def receipt_from_json(data: Mapping[str, Any]) -> Receipt:
    return Receipt(
        receipt_id=str(data["receipt_id"]),
        asn_reference=str(data["asn_reference"]),
        lines=tuple(
            ReceiptLine(sku=str(line["sku"]), accepted=_count(line["accepted"]), damaged=_count(line["damaged"]))
            for line in data["lines"]
        ),
        received_at=_aware(data["received_at"]),
    )


UNREADABLE = (KeyError, ValueError, TypeError, AttributeError, InvalidOperation)


def verify_signature(
    *, header: str, body: bytes, secret: str, tolerance_seconds: int, now: float | None = None
) -> None:
    """Check `t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`, the time within the tolerance."""
    if not secret:
        raise InvalidWmsWebhook("no webhook secret is configured for this warehouse")
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    timestamp, signature = fields.get("t", "").strip(), fields.get("v1", "").strip()
    if not timestamp.isdigit() or not signature:
        raise InvalidWmsWebhook("missing or malformed signature header")
    if abs((time.time() if now is None else now) - int(timestamp)) > tolerance_seconds:
        raise InvalidWmsWebhook("timestamp outside the tolerance (stale or replayed)")
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        raise InvalidWmsWebhook("signature does not match")


class HttpWmsGateway:
    """The sandbox WMS's JSON API (`/sandbox/wms/<code>/`), spoken over real HTTP."""

    def __init__(
        self,
        *,
        warehouse_code: str,
        endpoint_url: str,
        api_key: str,
        webhook_secret: str,
        timeout: float | None = None,
        observer: WmsCallObserver | None = None,
        snapshot_page_size: int = 5000,
        changes_page_size: int = 100,
    ) -> None:
        self.warehouse_code = warehouse_code
        self.webhook_secret = webhook_secret
        self.observer = observer
        self.snapshot_page_size = snapshot_page_size
        self.changes_page_size = changes_page_size
        seconds = timeout if timeout is not None else settings.WMS_HTTP_TIMEOUT_SECONDS
        self.client = httpx.Client(
            base_url=endpoint_url.rstrip("/") + "/",
            timeout=httpx.Timeout(seconds, connect=min(seconds, 2.0)),
            headers={"Authorization": f"Bearer {api_key}"} if api_key else {},
        )

    @classmethod
    def for_warehouse(cls, warehouse: Any, **options: Any) -> "HttpWmsGateway":
        return cls(
            warehouse_code=warehouse.code,
            endpoint_url=warehouse.endpoint_url,
            api_key=api_key_for(warehouse.code),
            webhook_secret=webhook_secret_for(warehouse.code),
            **options,
        )

    def close(self) -> None:
        self.client.close()

    def _call(
        self, operation: str, method: str, path: str, *, answered: tuple[int, ...] = (), **kwargs: Any
    ) -> httpx.Response:
        """Make one call; 2xx and the `answered` statuses come back, the rest raise."""
        started = time.monotonic()
        status, outcome, error, timed_out = None, "ok", "", False
        try:
            response = self.client.request(method, path, **kwargs)
            status = response.status_code
            if status in answered:
                outcome = "ok" if status < 400 or status == 404 else "refused"
                return response
            if status == 429 or status >= 500:
                outcome, error, timed_out = "failed", f"WMS answered {status}", status == 504
                raise WmsUnavailable(f"WMS answered {status} to {method} {path}")
            if status >= 400:
                reason = _reason(response)
                outcome, error = "refused", reason
                raise WmsRefused(reason, status_code=status)
            return response
        except httpx.LocalProtocolError as exc:
            # Our own request is malformed (bad credentials configured, say): retrying cannot help.
            outcome, error = "refused", f"{type(exc).__name__}: {exc}"
            raise WmsRefused(f"request to the WMS is malformed: {exc}") from exc
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            outcome, error, timed_out = "failed", f"{type(exc).__name__}: {exc}", isinstance(exc, httpx.ConnectTimeout)
            raise WmsUnavailable(f"{type(exc).__name__} calling {path}: {exc}", may_have_arrived=False) from exc
        except httpx.TransportError as exc:
            outcome, error, timed_out = (
                "failed",
                f"{type(exc).__name__}: {exc}",
                isinstance(exc, httpx.TimeoutException),
            )
            raise WmsUnavailable(f"{type(exc).__name__} calling {path}: {exc}") from exc
        finally:
            if self.observer is not None:
                self.observer(
                    WmsCallRecord(
                        warehouse_code=self.warehouse_code,
                        operation=operation,
                        method=method,
                        path=path.split("?")[0],
                        status_code=status,
                        outcome=outcome,
                        duration_ms=int((time.monotonic() - started) * 1000),
                        timed_out=timed_out,
                        error=error[:300],
                    )
                )

    @staticmethod
    def _read[T](response: httpx.Response, parse: Callable[[Any], T]) -> T:
        try:
            return parse(response.json())
        except UNREADABLE as exc:
            raise WmsUnavailable(f"unreadable answer from the WMS: {type(exc).__name__}: {exc}") from exc

    def _create(self, operation: str, path: str, body: dict, reference: str, look_up: Callable[[], Any]) -> Any:
        """POST a create; after a failure that may have reached the WMS, look it up by reference
        before creating it again. Returns the POST's answer, or what the lookup found."""
        failure: WmsUnavailable | None = None
        for _ in range(CREATE_ATTEMPTS):
            try:
                return self._call(operation, "POST", path, json=body, headers={"Idempotency-Key": reference})
            except WmsUnavailable as exc:
                if not exc.may_have_arrived:
                    raise
                failure = exc
            found = look_up()
            if found is not None:
                return found
        assert failure is not None
        raise failure

    def create_order(self, request: WmsOrderRequest) -> WmsOrder:
        body = {
            "external_reference": request.external_reference,
            "warehouse_code": request.warehouse_code,
            "lines": [{"sku": line.sku, "quantity": line.quantity} for line in request.lines],
            "ship_to": {name: getattr(request.ship_to, name) for name in request.ship_to.__dataclass_fields__},
            "ship_by": request.ship_by.isoformat() if request.ship_by else None,
        }
        reference = request.external_reference
        answer = self._create("create_order", "orders/", body, reference, lambda: self.get_order(reference))
        return answer if isinstance(answer, WmsOrder) else self._read(answer, order_from_json)

    def get_order(self, external_reference: str) -> WmsOrder | None:
        response = self._call("get_order", "GET", f"orders/{quote(external_reference, safe='')}/", answered=(404,))
        return None if response.status_code == 404 else self._read(response, order_from_json)

    def cancel_order(self, external_reference: str) -> CancelOutcome:
        """Accepted, or refused with the WMS's reason once picking has started (409)."""
        response = self._call(
            "cancel_order", "POST", f"orders/{quote(external_reference, safe='')}/cancel/", answered=(409,)
        )
        if response.status_code == 409:
            return CancelOutcome(accepted=False, reason=_reason(response))
        return CancelOutcome(accepted=True, reason="")

    def changes_since(self, cursor: str) -> WmsChangesPage:
        response = self._call(
            "changes_since", "GET", "changes/", params={"cursor": cursor, "limit": self.changes_page_size}
        )
        return self._read(
            response,
            lambda data: WmsChangesPage(
                orders=tuple(order_from_json(change["order"]) for change in data["changes"]),
                next_cursor=str(data["next_cursor"]),
                has_more=bool(data["has_more"]),
            ),
        )

    def stock_snapshot(self, page: str | None = None) -> StockSnapshotPage:
        """A page of the WMS's stock; no `page` takes a new snapshot, `next_page` continues it.
        A 410 (the snapshot expired between pages) is a WmsRefused: start again without a page."""
        params: dict[str, Any] = {"page_size": self.snapshot_page_size}
        if page:
            params["page"] = page
        response = self._call("stock_snapshot", "GET", "stock/", params=params)
        return self._read(
            response,
            lambda data: StockSnapshotPage(
                snapshot_id=str(data["snapshot_id"]),
                taken_at=_aware(data["taken_at"]),
                items=tuple(StockItem(sku=str(i["sku"]), on_hand=int(i["on_hand"])) for i in data["items"]),
                next_page=data["next_page"] or None,
            ),
        )

    def create_asn(self, request: AsnRequest) -> None:
        body = {
            "external_reference": request.external_reference,
            "warehouse_code": request.warehouse_code,
            "lines": [{"sku": line.sku, "expected": line.expected} for line in request.lines],
            "expected_at": request.expected_at.isoformat() if isinstance(request.expected_at, date) else None,
        }
        reference = request.external_reference

        def look_up() -> bool | None:
            response = self._call("get_asn", "GET", f"asns/{quote(reference, safe='')}/", answered=(404,))
            return None if response.status_code == 404 else True

        self._create("create_asn", "asns/", body, reference, look_up)

    def receipts(self, asn_reference: str) -> tuple[Receipt, ...]:
        response = self._call("receipts", "GET", f"asns/{quote(asn_reference, safe='')}/receipts/")
        return self._read(response, lambda data: tuple(receipt_from_json(r) for r in data["receipts"]))

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> WmsOrder | Receipt:
        """A signed webhook from this warehouse's WMS: an order's news or a receipt. Raises
        InvalidWmsWebhook when forged, stale (replayed), for another warehouse, or unreadable."""
        lowered = {name.lower(): value for name, value in headers.items()}
        verify_signature(
            header=lowered.get(SIGNATURE_HEADER, ""),
            body=body,
            secret=self.webhook_secret,
            tolerance_seconds=settings.WMS_WEBHOOK_TOLERANCE_SECONDS,
        )
        try:
            data = json.loads(body)
            if data["warehouse_code"] != self.warehouse_code:
                raise InvalidWmsWebhook("the webhook is for another warehouse")
            if data["type"] == "order":
                return order_from_json(data["order"])
            if data["type"] == "receipt":
                return receipt_from_json(data["receipt"])
        except UNREADABLE as exc:
            raise InvalidWmsWebhook(f"unreadable body: {type(exc).__name__}: {exc}") from exc
        raise InvalidWmsWebhook(f"unknown webhook type {data['type']!r}")


def _reason(response: httpx.Response) -> str:
    try:
        return str(response.json().get("error", "")) or response.reason_phrase
    except (ValueError, AttributeError):
        return response.text[:300] or response.reason_phrase
