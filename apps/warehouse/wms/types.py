"""The plain data a warehouse management system (WMS) and the platform exchange. No Django models:
the gateway turns the WMS's JSON into these, and the warehouse services read them."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum


class WmsStage(StrEnum):
    """Where the WMS has got with an order. Moves forward in this order only; the last three end it."""

    RECEIVED = "received"
    PICKING = "picking"
    PACKED = "packed"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    CANCELLED = "cancelled"
    REJECTED = "rejected"


@dataclass(frozen=True)
class WmsOrderLine:
    sku: str
    quantity: int


@dataclass(frozen=True)
class WmsAddress:
    name: str
    company: str
    street1: str
    street2: str
    city: str
    state: str
    postcode: str
    country: str
    phone: str
    email: str


@dataclass(frozen=True)
class WmsOrderRequest:
    external_reference: str  # ours, the same on every retry (e.g. "WO-<warehouse order id>")
    warehouse_code: str
    lines: tuple[WmsOrderLine, ...]
    ship_to: WmsAddress
    ship_by: date | None


@dataclass(frozen=True)
class WmsParcel:
    weight_kg: Decimal
    length_cm: Decimal
    width_cm: Decimal
    height_cm: Decimal


@dataclass(frozen=True)
class WmsLineProgress:
    sku: str
    ordered: int
    shipped: int
    short: int  # units the WMS cannot pick


@dataclass(frozen=True)
class WmsOrder:
    """The WMS's view of one order: what its news carries."""

    external_reference: str
    wms_order_id: str
    stage: WmsStage
    lines: tuple[WmsLineProgress, ...]
    parcels: tuple[WmsParcel, ...]  # filled from PACKED on
    # The WMS's change counter for this order: news with a sequence lower than or equal to one
    # already applied is stale (webhooks arrive late, twice or out of order).
    sequence: int
    changed_at: datetime  # aware


@dataclass(frozen=True)
class WmsChangesPage:
    orders: tuple[WmsOrder, ...]
    next_cursor: str
    has_more: bool


@dataclass(frozen=True)
class CancelOutcome:
    accepted: bool  # False once picking started
    reason: str


@dataclass(frozen=True)
class StockItem:
    sku: str
    on_hand: int


@dataclass(frozen=True)
class StockSnapshotPage:
    """One page of the WMS's stock as it stood at `taken_at`. Units shipped by orders whose
    `changed_at` is after `taken_at` are not in the snapshot's figures."""

    snapshot_id: str
    taken_at: datetime
    items: tuple[StockItem, ...]
    next_page: str | None  # None on the last page


@dataclass(frozen=True)
class AsnLine:
    sku: str
    expected: int


@dataclass(frozen=True)
class AsnRequest:
    """An advance shipping notice: stock on its way into the warehouse."""

    external_reference: str
    warehouse_code: str
    lines: tuple[AsnLine, ...]
    expected_at: date | None


@dataclass(frozen=True)
class ReceiptLine:
    sku: str
    accepted: int
    damaged: int


@dataclass(frozen=True)
class Receipt:
    receipt_id: str
    asn_reference: str
    lines: tuple[ReceiptLine, ...]
    received_at: datetime


@dataclass(frozen=True)
class WmsCallRecord:
    """What the gateway reports about each call it made, for a call log, the circuit breaker and
    the lanes' adaptive limits (the same figures as distribution's CallRecord for carriers).
    For the breaker: `failed` is a failure, `ok` and `refused` (the WMS answered) are successes."""

    warehouse_code: str
    operation: str
    method: str
    path: str
    status_code: int | None
    outcome: str  # ok, refused or failed
    duration_ms: int
    timed_out: bool = False
    error: str = ""
