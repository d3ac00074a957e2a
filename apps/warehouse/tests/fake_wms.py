"""A WMS in memory, speaking the gateway interface (`apps.warehouse.wms.WmsGateway`), for unit
tests of the warehouse services. It keeps orders by external reference, a change log for polls,
and answers a cancel the way the contract says: refused once picking started."""

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from apps.warehouse.wms import InvalidWmsWebhook, WmsCallRecord, WmsUnavailable
from apps.warehouse.wms.types import (
    AsnRequest,
    CancelOutcome,
    Receipt,
    StockItem,
    StockSnapshotPage,
    WmsChangesPage,
    WmsLineProgress,
    WmsOrder,
    WmsOrderRequest,
    WmsParcel,
    WmsStage,
)

STARTED = {WmsStage.PICKING, WmsStage.PACKED, WmsStage.PARTIALLY_SHIPPED, WmsStage.SHIPPED}


@dataclass
class FakeWms:
    warehouse_code: str
    orders: dict[str, WmsOrder] = field(default_factory=dict)
    requests: dict[str, WmsOrderRequest] = field(default_factory=dict)
    creates: dict[str, int] = field(default_factory=dict)
    log: list[WmsOrder] = field(default_factory=list)
    asns: dict[str, AsnRequest] = field(default_factory=dict)
    receipts_by_asn: dict[str, list[Receipt]] = field(default_factory=dict)
    stock: dict[str, int] = field(default_factory=dict)
    down: bool = False
    observer: object = None
    clock: datetime = field(default_factory=lambda: datetime(2026, 12, 1, 8, 0, tzinfo=UTC))
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def _tick(self) -> datetime:
        self.clock += timedelta(seconds=1)
        return self.clock

    def _check(self, operation: str) -> None:
        """Report the call to the observer, as the HTTP gateway does, and fail it if we are down."""
        if self.observer is not None:
            self.observer(
                WmsCallRecord(
                    warehouse_code=self.warehouse_code,
                    operation=operation,
                    method="POST",
                    path=f"/{operation}",
                    status_code=503 if self.down else 200,
                    outcome="failed" if self.down else "ok",
                    duration_ms=1,
                )
            )
        if self.down:
            raise WmsUnavailable("WMS down (test)")

    # The gateway interface.
    def create_order(self, request: WmsOrderRequest) -> WmsOrder:
        self._check("create_order")
        ref = request.external_reference
        self.creates[ref] = self.creates.get(ref, 0) + 1
        if ref not in self.orders:
            self.requests[ref] = request
            self._record(
                WmsOrder(
                    external_reference=ref,
                    wms_order_id=f"W{next(self._ids)}",
                    stage=WmsStage.RECEIVED,
                    lines=tuple(
                        WmsLineProgress(sku=line.sku, ordered=line.quantity, shipped=0, short=0)
                        for line in request.lines
                    ),
                    parcels=(),
                    sequence=1,
                    changed_at=self._tick(),
                )
            )
        return self.orders[ref]

    def cancel_order(self, external_reference: str) -> CancelOutcome:
        self._check("cancel_order")
        order = self.orders[external_reference]
        if order.stage in STARTED:
            return CancelOutcome(accepted=False, reason="picking has started")
        if order.stage != WmsStage.CANCELLED:
            self.advance(external_reference, WmsStage.CANCELLED)
        return CancelOutcome(accepted=True, reason="")

    def get_order(self, external_reference: str) -> WmsOrder | None:
        self._check("get_order")
        return self.orders.get(external_reference)

    def changes_since(self, cursor: str) -> WmsChangesPage:
        self._check("changes_since")
        start = int(cursor or 0)
        page = self.log[start : start + 50]
        return WmsChangesPage(
            orders=tuple(page), next_cursor=str(start + len(page)), has_more=start + 50 < len(self.log)
        )

    def stock_snapshot(self, page: str | None = None) -> StockSnapshotPage:
        self._check("stock_snapshot")
        items = sorted(self.stock.items())
        start = int(page or 0)
        chunk = tuple(StockItem(sku=sku, on_hand=n) for sku, n in items[start : start + 1000])
        following = str(start + 1000) if start + 1000 < len(items) else None
        return StockSnapshotPage(
            snapshot_id=f"S{self.clock:%H%M%S}", taken_at=self.clock, items=chunk, next_page=following
        )

    def create_asn(self, request: AsnRequest) -> None:
        self._check("create_asn")
        self.asns.setdefault(request.external_reference, request)

    def receipts(self, asn_reference: str) -> tuple[Receipt, ...]:
        self._check("receipts")
        return tuple(self.receipts_by_asn.get(asn_reference, ()))

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> WmsOrder | Receipt:
        raise InvalidWmsWebhook("the fake WMS sends no webhooks")

    # What the warehouse does, for the tests to drive.
    def _record(self, order: WmsOrder) -> WmsOrder:
        self.orders[order.external_reference] = order
        self.log.append(order)
        return order

    def advance(
        self,
        ref: str,
        stage: WmsStage,
        *,
        shipped: dict[str, int] | None = None,
        short: dict[str, int] | None = None,
        parcels: int = 0,
    ) -> WmsOrder:
        """Move an order on; `shipped` and `short` are cumulative units per SKU (spread over lines)."""
        order = self.orders[ref]
        lines = []
        left_shipped, left_short = dict(shipped or {}), dict(short or {})
        for line in order.lines:
            if line.sku in left_shipped:
                s = min(left_shipped[line.sku], line.ordered)
                left_shipped[line.sku] -= s
            else:
                s = line.shipped
            if line.sku in left_short:
                h = min(left_short[line.sku], line.ordered - s)
                left_short[line.sku] -= h
            else:
                h = line.short
            lines.append(replace(line, shipped=s, short=h))
        boxes = (
            tuple(
                WmsParcel(
                    weight_kg=Decimal("1.250"), length_cm=Decimal(30), width_cm=Decimal(20), height_cm=Decimal(10)
                )
                for _ in range(parcels)
            )
            or order.parcels
        )
        return self._record(
            replace(
                order,
                stage=stage,
                lines=tuple(lines),
                parcels=boxes,
                sequence=order.sequence + 1,
                changed_at=self._tick(),
            )
        )
