"""The gateway to external warehouse management systems (WMS): an HTTP client per warehouse
behind the `WmsGateway` interface, the plain types it speaks, and its errors. No ORM."""

from collections.abc import Mapping
from typing import Any, Protocol

from apps.warehouse.wms.errors import InvalidWmsWebhook, WmsError, WmsRefused, WmsUnavailable
from apps.warehouse.wms.types import (
    AsnRequest,
    CancelOutcome,
    Receipt,
    StockSnapshotPage,
    WmsChangesPage,
    WmsOrder,
    WmsOrderRequest,
)

__all__ = [
    "InvalidWmsWebhook",
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


def wms_gateway_for(warehouse: Any, **kwargs: Any) -> WmsGateway:
    """The gateway to `warehouse`'s WMS (an apps.resources Warehouse row: its endpoint URL and
    code; the webhook secret comes from settings)."""
    from apps.warehouse.wms.client import HttpWmsGateway

    return HttpWmsGateway.for_warehouse(warehouse, **kwargs)
