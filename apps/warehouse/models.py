"""Warehouse orders and their machine, stock with its reservations and ledger, inbound shipments
(ASNs) with their receipts and discrepancies, and what following a WMS leaves behind (a cursor per
warehouse, a record per call, reconciliation reports and stock checks)."""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from apps.common.models import TransitionRecord


class WarehouseOrderState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ALLOCATED = "allocated", _("Allocated (stock reserved)")
    BACKORDERED = "backordered", _("Backordered (waiting for stock)")
    ON_HOLD = "on_hold", _("On hold")
    SUBMITTED = "submitted", _("Submitted to the WMS")
    ACCEPTED = "accepted", _("Accepted by the WMS")
    PICKING = "picking", _("Picking")
    PACKED = "packed", _("Packed")
    PARTIALLY_SHIPPED = "partially_shipped", _("Partially shipped")
    SHIPPED = "shipped", _("Shipped")
    CANCEL_REQUESTED = "cancel_requested", _("Cancel requested at the WMS")
    CANCELLED = "cancelled", _("Cancelled")
    REJECTED = "rejected", _("Rejected by the WMS")
    INCOMPLETE = "incomplete", _("Incomplete (shipped short)")


S = WarehouseOrderState
# Before the WMS has the order: cancelling releases its stock at once.
BEFORE_WMS = [S.DRAFT, S.ALLOCATED, S.BACKORDERED, S.ON_HOLD]
# The WMS's stages in the only order they may come; news never moves an order back down.
WMS_RANK = {
    S.SUBMITTED: 0,
    S.CANCEL_REQUESTED: 0,
    S.ACCEPTED: 1,
    S.PICKING: 2,
    S.PACKED: 3,
    S.PARTIALLY_SHIPPED: 4,
    S.SHIPPED: 5,
    S.INCOMPLETE: 5,
    S.CANCELLED: 5,
    S.REJECTED: 5,
}
FINAL = [S.SHIPPED, S.INCOMPLETE, S.CANCELLED, S.REJECTED]
AT_WMS = [S.SUBMITTED, S.CANCEL_REQUESTED, S.ACCEPTED, S.PICKING, S.PACKED, S.PARTIALLY_SHIPPED]
# The transitions WMS news may take (`apps.common.fsm.forward_path` walks them).
WMS_TRANSITIONS = {"accept", "start_picking", "pack", "ship_partially", "ship", "finish_short"}


class PartialFulfilment(models.TextChoices):
    """What a short pick (units the WMS cannot find) does to the order."""

    ALL_OR_NOTHING = "all_or_nothing", "Ship all or nothing (a short pick cancels the order)"
    CANCEL_REST = "cancel_rest", "Ship what is there, cancel the rest"
    BACKORDER_REST = "backorder_rest", "Ship what is there, keep the rest backordered"


class WarehouseOrder(ConcurrentTransitionMixin, models.Model):
    """An instruction to a warehouse's WMS to pick, pack and ship some of an order's goods."""

    order_id = models.BigIntegerField(db_index=True)
    merchant_id = models.BigIntegerField(db_index=True)
    warehouse_code = models.CharField(max_length=50)
    state = FSMField(default=S.DRAFT, choices=S.choices, protected=True, db_index=True)
    version = models.PositiveIntegerField(default=1)
    policy = models.CharField(max_length=20, choices=PartialFulfilment.choices, default=PartialFulfilment.CANCEL_REST)
    # The address in the WMS's terms (name, company, street1, street2, city, state, postcode,
    # country, phone, email).
    ship_to = models.JSONField(default=dict)
    ship_by = models.DateField(null=True, blank=True)
    # The remainder of a short-shipped order whose policy keeps it backordered.
    backorder_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="remainders")
    wms_order_id = models.CharField(max_length=64, blank=True)
    # The latest WMS stage applied (a `WmsStage` value), where a refused cancel goes back to.
    wms_stage = models.CharField(max_length=20, blank=True)
    # The highest WMS change counter applied: news at or below it is stale or a duplicate.
    wms_sequence = models.BigIntegerField(default=0)
    wms_changed_at = models.DateTimeField(null=True, blank=True)
    # Until when a create call to the WMS may still be on its way: a cancel waits for it rather
    # than conclude the WMS never had the order.
    submitting_until = models.DateTimeField(null=True, blank=True)
    parcels = models.JSONField(default=list, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["warehouse_code", "merchant_id", "created_at"],
                condition=Q(state="backordered"),
                name="warehouse_order_backordered",
            )
        ]

    def __str__(self) -> str:
        return f"warehouse order {self.pk} at {self.warehouse_code} ({self.state})"

    @property
    def external_reference(self) -> str:
        """Ours at the WMS, the same on every retry."""
        return f"WO-{self.pk}"

    @transition(field=state, source=[S.DRAFT, S.BACKORDERED, S.ON_HOLD], target=S.ALLOCATED)
    def allocate(self):
        """Every line's stock is reserved."""

    @transition(field=state, source=[S.DRAFT, S.ON_HOLD], target=S.BACKORDERED)
    def backorder(self):
        """Not enough stock for every line: wait for stock to arrive."""

    @transition(field=state, source=[S.ALLOCATED, S.BACKORDERED], target=S.ON_HOLD)
    def hold(self):
        """Operations (or the merchant) hold the order before it goes to the WMS."""

    @transition(field=state, source=S.ALLOCATED, target=S.SUBMITTED)
    def submit(self):
        """The order is about to go to the WMS (and is sent again on a retry)."""

    @transition(field=state, source=[S.SUBMITTED, S.CANCEL_REQUESTED], target=S.ACCEPTED)
    def accept(self):
        """The WMS has the order."""

    @transition(field=state, source=[S.ACCEPTED, S.CANCEL_REQUESTED], target=S.PICKING)
    def start_picking(self):
        """The WMS started picking (a cancel is refused from here on)."""

    @transition(field=state, source=S.PICKING, target=S.PACKED)
    def pack(self):
        """Picked and packed: the parcels' weights and sizes are known."""

    @transition(field=state, source=[S.PICKING, S.PACKED], target=S.PARTIALLY_SHIPPED)
    def ship_partially(self):
        """Some units left the warehouse, more are to follow."""

    @transition(field=state, source=[S.PACKED, S.PARTIALLY_SHIPPED], target=S.SHIPPED)
    def ship(self):
        """Every unit left the warehouse."""

    @transition(field=state, source=[S.PICKING, S.PACKED, S.PARTIALLY_SHIPPED], target=S.INCOMPLETE)
    def finish_short(self):
        """The WMS finished with fewer units shipped than ordered; the rest is cancelled or backordered."""

    @transition(field=state, source=[S.SUBMITTED, S.ACCEPTED, S.PICKING], target=S.CANCEL_REQUESTED)
    def request_cancel(self):
        """A cancel is asked of the WMS, which may refuse once picking started."""

    @transition(field=state, source=S.CANCEL_REQUESTED, target=S.ACCEPTED)
    def cancel_refused(self):
        """The WMS refused the cancel; it follows its own news from here."""

    @transition(
        field=state,
        source=[*BEFORE_WMS, S.SUBMITTED, S.CANCEL_REQUESTED, S.ACCEPTED, S.PICKING, S.PACKED],
        target=S.CANCELLED,
    )
    def cancel(self):
        """Called off: before the WMS had it, or the WMS confirmed the cancel."""

    @transition(field=state, source=[S.SUBMITTED, S.CANCEL_REQUESTED, S.ACCEPTED, S.PICKING], target=S.REJECTED)
    def reject(self):
        """The WMS refused the order, or could pick none of it."""


class WarehouseOrderTransition(TransitionRecord):
    warehouse_order = models.ForeignKey(WarehouseOrder, on_delete=models.CASCADE, related_name="history")


class WarehouseOrderLine(models.Model):
    """One line of a warehouse order; the same SKU may appear on two lines, each counted once."""

    warehouse_order = models.ForeignKey(WarehouseOrder, on_delete=models.CASCADE, related_name="lines")
    sku = models.CharField(max_length=64)
    ordered = models.PositiveIntegerField()
    allocated = models.PositiveIntegerField(default=0)
    shipped = models.PositiveIntegerField(default=0)
    cancelled = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(ordered__gt=0), name="warehouse_line_ordered_positive"),
            models.CheckConstraint(
                condition=Q(shipped__lte=F("ordered")) & Q(cancelled__lte=F("ordered") - F("shipped")),
                name="warehouse_line_within_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ordered} x {self.sku}"

    @property
    def open_quantity(self) -> int:
        return self.ordered - self.shipped - self.cancelled


class Stock(models.Model):
    """A merchant's SKU in one warehouse: on hand as the WMS counts it, reserved for orders (the sum
    of the active `StockReservation` rows, kept here so that a reservation is one conditional
    UPDATE), and what is left to promise."""

    merchant_id = models.BigIntegerField()
    warehouse_code = models.CharField(max_length=50)
    sku = models.CharField(max_length=64)
    on_hand = models.PositiveIntegerField(default=0)
    reserved = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["warehouse_code", "merchant_id", "sku"], name="stock_once"),
            models.CheckConstraint(condition=Q(reserved__lte=F("on_hand")), name="stock_available_not_negative"),
        ]
        indexes = [models.Index(fields=["merchant_id", "sku"], name="stock_by_merchant_sku")]

    def __str__(self) -> str:
        return f"{self.sku} at {self.warehouse_code}: {self.on_hand} on hand, {self.reserved} reserved"

    # Not a generated column: Django's check of one needs a database connection, which
    # `manage.py ensure_database` (run before the database exists) cannot have.
    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class StockReservation(models.Model):
    """Units of a stock row promised to an owner (a warehouse order line, or a named hold) until
    consumed by shipping, released, or expired."""

    stock = models.ForeignKey(Stock, on_delete=models.PROTECT, related_name="reservations")
    line = models.ForeignKey(
        WarehouseOrderLine, null=True, blank=True, on_delete=models.CASCADE, related_name="reservations"
    )
    owner = models.CharField(max_length=100)
    quantity = models.PositiveIntegerField()
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["stock"], condition=Q(released_at__isnull=True), name="reservation_active"),
            models.Index(
                fields=["expires_at"],
                condition=Q(released_at__isnull=True, expires_at__isnull=False),
                name="reservation_expiring",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} for {self.owner}"


class StockMovement(models.Model):
    """The stock ledger: every change of on hand, signed. On hand = Σ quantity per stock row."""

    class Kind(models.TextChoices):
        RECEIVED = "received", "Received (ASN receipt)"
        SHIPPED = "shipped", "Shipped (WMS order)"
        ADJUSTMENT = "adjustment", "Adjustment (snapshot drift or operations)"

    stock = models.ForeignKey(Stock, on_delete=models.PROTECT, related_name="movements")
    # Copied so that reconciling a snapshot reads the warehouse's recent WMS movements by index.
    warehouse_code = models.CharField(max_length=50)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    quantity = models.IntegerField()
    # When it happened at the WMS (a shipment's or receipt's time; a snapshot's taken_at).
    occurred_at = models.DateTimeField()
    reference = models.CharField(max_length=100)
    actor = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [models.Index(fields=["warehouse_code", "occurred_at"], name="movement_recent")]

    def __str__(self) -> str:
        return f"{self.kind} {self.quantity:+d} ({self.reference})"


class Asn(models.Model):
    """An inbound shipment announced by a merchant (advance shipping notice)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open (not yet announced to the WMS)")
        ANNOUNCED = "announced", _("Announced to the WMS")
        RECEIVING = "receiving", _("Partly received")
        CLOSED = "closed", _("Closed")

    merchant_id = models.BigIntegerField(db_index=True)
    warehouse_code = models.CharField(max_length=50)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    expected_at = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.external_reference} to {self.warehouse_code} ({self.status})"

    @property
    def external_reference(self) -> str:
        return f"ASN-{self.pk}"


class AsnLine(models.Model):
    asn = models.ForeignKey(Asn, on_delete=models.CASCADE, related_name="lines")
    sku = models.CharField(max_length=64)
    expected = models.PositiveIntegerField(default=0)
    accepted = models.PositiveIntegerField(default=0)
    damaged = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["asn", "sku"], name="asn_line_once_per_sku")]

    def __str__(self) -> str:
        return f"{self.sku}: {self.accepted}/{self.expected} (+{self.damaged} damaged)"


class AsnReceipt(models.Model):
    """One receipt the WMS reported against an ASN; kept so that a receipt counts once."""

    asn = models.ForeignKey(Asn, on_delete=models.CASCADE, related_name="receipts")
    receipt_id = models.CharField(max_length=64)
    received_at = models.DateTimeField()
    lines = models.JSONField(default=list)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["asn", "receipt_id"], name="asn_receipt_once")]

    def __str__(self) -> str:
        return f"receipt {self.receipt_id}"


class AsnDiscrepancy(models.Model):
    class Kind(models.TextChoices):
        OVER = "over", _("More than expected")
        SHORT = "short", _("Less than expected")
        UNEXPECTED = "unexpected", _("SKU not on the notice")
        DAMAGED = "damaged", _("Damaged")

    asn = models.ForeignKey(Asn, on_delete=models.CASCADE, related_name="discrepancies")
    receipt = models.ForeignKey(AsnReceipt, null=True, blank=True, on_delete=models.CASCADE)
    sku = models.CharField(max_length=64)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    quantity = models.PositiveIntegerField()
    recorded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.kind} {self.quantity} x {self.sku}"


class WmsCursor(models.Model):
    """Where polling a warehouse's WMS for changed orders has got to."""

    warehouse_code = models.CharField(max_length=50, unique=True)
    cursor = models.CharField(max_length=200, blank=True)
    polled_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.warehouse_code} at {self.cursor or 'the start'}"


class WmsCall(models.Model):
    """One call to a WMS: what was asked, how it went, how long it took. No secrets."""

    class Outcome(models.TextChoices):
        OK = "ok", "OK"
        REFUSED = "refused", "Refused (4xx)"
        FAILED = "failed", "Failed (5xx, timeout, connection)"

    warehouse_code = models.CharField(max_length=50)
    operation = models.CharField(max_length=30)
    warehouse_order_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    reference = models.CharField(max_length=100, blank=True)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=300)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    duration_ms = models.PositiveIntegerField()
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["warehouse_code", "-created_at"], name="wms_call_recent")]

    def __str__(self) -> str:
        return f"{self.warehouse_code} {self.operation} {self.outcome} {self.duration_ms} ms"


class ReconciliationReport(models.Model):
    """One WMS stock snapshot held against our stock: small drift adjusted, large drift held."""

    class Outcome(models.TextChoices):
        APPLIED = "applied", "Applied"
        REFUSED = "refused", "Refused (would zero too many SKUs)"

    warehouse_code = models.CharField(max_length=50)
    snapshot_id = models.CharField(max_length=100)
    taken_at = models.DateTimeField()
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    reason = models.CharField(max_length=500, blank=True)
    skus = models.PositiveIntegerField(default=0)
    adjusted = models.PositiveIntegerField(default=0)
    held = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["warehouse_code", "snapshot_id"], name="reconciliation_once_per_snapshot")
        ]

    def __str__(self) -> str:
        return f"snapshot {self.snapshot_id} of {self.warehouse_code}: {self.outcome}"


class ReconciliationLine(models.Model):
    """One SKU whose count at the WMS differs from ours, and what was decided about it."""

    class Decision(models.TextChoices):
        ADJUSTED = "adjusted", "Adjusted automatically (small drift)"
        PENDING = "pending", "Waiting for operations"
        ACCEPTED = "accepted", "Drift accepted by operations"
        HELD = "held", "Held by operations"
        SUPERSEDED = "superseded", "Superseded by a later snapshot"

    report = models.ForeignKey(ReconciliationReport, on_delete=models.CASCADE, related_name="lines")
    merchant_id = models.BigIntegerField(null=True, blank=True)
    sku = models.CharField(max_length=64)
    ours = models.IntegerField(help_text="Our on hand when the snapshot was reconciled.")
    wms = models.IntegerField(help_text="The WMS's count, less what shipped (plus what arrived) after it was taken.")
    drift = models.IntegerField()
    decision = models.CharField(max_length=10, choices=Decision.choices)
    reason = models.CharField(max_length=300, blank=True)
    decided_by = models.CharField(max_length=100, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["decision"], condition=Q(decision="pending"), name="reconciliation_pending")]
        permissions = [("decide_drift", "Can accept or hold a stock drift")]

    def __str__(self) -> str:
        return f"{self.sku}: {self.drift:+d} ({self.decision})"


class StockCheck(models.Model):
    """A run of the ledger check: on hand = Σ movements and reserved = Σ active reservations."""

    checked_at = models.DateTimeField(auto_now_add=True)
    stock_rows = models.PositiveIntegerField()
    differences = models.JSONField(default=list)

    def __str__(self) -> str:
        return f"stock check {self.checked_at:%Y-%m-%d %H:%M}: {len(self.differences)} differences"
