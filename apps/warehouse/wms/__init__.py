"""The gateway to external warehouse management systems (WMS): an HTTP client per warehouse
behind the `WmsGateway` interface, the plain types it speaks, and its errors. No ORM."""

from collections.abc import Mapping
from typing import Any, Protocol

from apps.warehouse.wms.client import HttpWmsGateway, WmsCallObserver
from apps.warehouse.wms.errors import InvalidWmsWebhook, WmsError, WmsRefused, WmsUnavailable
from apps.warehouse.wms.types import (
    AsnRequest,
    CancelOutcome,
    Receipt,
    StockSnapshotPage,
    WmsCallRecord,
    WmsChangesPage,
    WmsOrder,
    WmsOrderRequest,
)

__all__ = [
    "HttpWmsGateway",
    "InvalidWmsWebhook",
    "WmsCallObserver",
    "WmsCallRecord",
    "WmsError",
    "WmsGateway",
    "WmsRefused",
    "WmsUnavailable",
    "wms_gateway_for",
]


class WmsGateway(Protocol):
    def create_order(self, request: WmsOrderRequest) -> WmsOrder:
        """Idempotent: after a timeout it looks the order up by its external reference before
        creating it again, so one warehouse order never makes two WMS orders."""
        ...

    def cancel_order(self, external_reference: str) -> CancelOutcome: ...

    def get_order(self, external_reference: str) -> WmsOrder | None: ...

    def changes_since(self, cursor: str) -> WmsChangesPage:
        """Orders changed after `cursor` ("" = from the start), oldest change first."""
        ...

    def stock_snapshot(self, page: str | None = None) -> StockSnapshotPage: ...

    def create_asn(self, request: AsnRequest) -> None:
        """Idempotent by the ASN's external reference."""
        ...

    def receipts(self, asn_reference: str) -> tuple[Receipt, ...]: ...

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> WmsOrder | Receipt:
        """Raises InvalidWmsWebhook for a forged, stale or malformed webhook."""
        ...


def wms_gateway_for(
    warehouse: Any, *, observer: WmsCallObserver | None = None, timeout: float | None = None, **options: Any
) -> WmsGateway:
    """The gateway to `warehouse`'s WMS (an apps.resources Warehouse row: its `endpoint_url` and
    `code`; API key and webhook secret from settings: WMS_API_KEYS / WMS_WEBHOOK_SECRETS by code,
    else WMS_API_KEY / WMS_WEBHOOK_SECRET). `observer` receives a WmsCallRecord per call made;
    `options` are HttpWmsGateway's (page sizes)."""
    return HttpWmsGateway.for_warehouse(warehouse, observer=observer, timeout=timeout, **options)
