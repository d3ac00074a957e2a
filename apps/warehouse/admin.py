"""The warehouse center for operations: stock with its ledger and reservations, ASNs with their
discrepancies, warehouse orders with their history and WMS calls, and the reconciliation
reports whose held drift operations accept or hold. Actions call services and are logged."""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from apps.common.admin import ReadOnlyInline, TransitionHistoryInline
from apps.common.exceptions import DomainError
from apps.warehouse.models import (
    Asn,
    AsnDiscrepancy,
    AsnLine,
    AsnReceipt,
    ReconciliationLine,
    ReconciliationReport,
    Stock,
    StockCheck,
    StockMovement,
    StockReservation,
    WarehouseOrder,
    WarehouseOrderLine,
    WarehouseOrderTransition,
    WmsCall,
    WmsCursor,
)
from apps.warehouse.selectors import warehouse_orders_late
from apps.warehouse.services import (
    asn_close,
    reconciliation_drift_accept,
    reconciliation_drift_hold,
    warehouse_order_cancel,
    warehouse_order_hold,
    warehouse_order_release_hold,
)


def _staff(request) -> str:
    return f"staff:{request.user.pk}"


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows only services write."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _run_each(model_admin, request, queryset, service, done: str, **kwargs) -> None:
    """Call `service` per selected row, log each success on the row's history, say what failed."""
    succeeded, failed = 0, []
    for obj in queryset:
        try:
            service(obj, **kwargs)
        except DomainError as exc:
            failed.append(f"{obj}: {exc.message}")
            continue
        succeeded += 1
        model_admin.log_change(request, obj, done)
    if succeeded:
        model_admin.message_user(request, f"{done}: {succeeded}.", messages.SUCCESS)
    for failure in failed:
        model_admin.message_user(request, failure, messages.ERROR)


class WarehouseOrderTransitionInline(TransitionHistoryInline):
    model = WarehouseOrderTransition


class WarehouseOrderLineInline(ReadOnlyInline):
    model = WarehouseOrderLine
    fields = ["sku", "ordered", "allocated", "shipped", "cancelled"]


class LateFilter(admin.SimpleListFilter):
    """Orders past their ship-by day whose goods have not left the warehouse."""

    title = "ship-by"
    parameter_name = "late"

    def lookups(self, request, model_admin):
        return [("yes", "Late (past their ship-by day)")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            late = warehouse_orders_late(today=timezone.localdate())
            return queryset.filter(pk__in=late.values("pk"))
        return queryset


@admin.register(WarehouseOrder)
class WarehouseOrderAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "order_id",
        "merchant_id",
        "warehouse_code",
        "state",
        "policy",
        "wms_stage",
        "ship_by",
        "created_at",
    ]
    list_filter = [LateFilter, "state", "warehouse_code", "policy"]
    search_fields = ["=id", "=order_id", "wms_order_id"]
    readonly_fields = [
        "order_id",
        "merchant_id",
        "warehouse_code",
        "state",
        "version",
        "policy",
        "reference",
        "ship_to",
        "ship_by",
        "backorder_of",
        "wms_order_id",
        "wms_stage",
        "wms_sequence",
        "wms_changed_at",
        "parcels",
        "last_error",
        "wms_calls",
        "created_at",
        "updated_at",
    ]
    fields = readonly_fields
    inlines = [WarehouseOrderLineInline, WarehouseOrderTransitionInline]
    actions = ["hold", "release_hold", "cancel"]

    def has_operate_permission(self, request):
        return request.user.has_perm("warehouse.change_warehouseorder")

    @admin.display(description="reference at the WMS")
    def reference(self, obj):
        return obj.external_reference

    @admin.display(description="calls to the WMS")
    def wms_calls(self, obj):
        calls = WmsCall.objects.filter(warehouse_order_id=obj.pk).order_by("created_at")[:50]
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{} ms</td><td>{}</td></tr>",
            (
                (c.created_at.strftime("%Y-%m-%d %H:%M:%S"), c.operation, c.outcome, c.duration_ms, c.error)
                for c in calls
            ),
        )
        header = "".join(f"<th>{t}</th>" for t in ("at", "operation", "outcome", "took", "error"))
        return format_html("<table><tr>{}</tr>{}</table>", mark_safe(header), rows) if calls else "—"  # noqa: S308

    @admin.action(description="Hold (before it goes to the WMS)", permissions=["operate"])
    def hold(self, request, queryset):
        _run_each(
            self,
            request,
            queryset,
            lambda o, **kw: warehouse_order_hold(warehouse_order_id=o.pk, **kw),
            "Held",
            actor=_staff(request),
            reason="held by operations",
        )

    @admin.action(description="Release the hold", permissions=["operate"])
    def release_hold(self, request, queryset):
        _run_each(
            self,
            request,
            queryset,
            lambda o, **kw: warehouse_order_release_hold(warehouse_order_id=o.pk, **kw),
            "Hold released",
            actor=_staff(request),
        )

    @admin.action(description="Cancel (or ask the WMS to cancel)", permissions=["operate"])
    def cancel(self, request, queryset):
        _run_each(
            self,
            request,
            queryset,
            lambda o, **kw: warehouse_order_cancel(warehouse_order_id=o.pk, **kw),
            "Cancelled or cancel requested",
            actor=_staff(request),
            reason="cancelled by operations",
        )


class StockReservationInline(ReadOnlyInline):
    model = StockReservation
    fields = ["owner", "line", "quantity", "expires_at", "created_at", "released_at"]
    verbose_name_plural = "reservations"

    def get_queryset(self, request):
        return super().get_queryset(request).filter(released_at__isnull=True)


@admin.register(Stock)
class StockAdmin(ReadOnlyAdmin):
    list_display = ["warehouse_code", "merchant_id", "sku", "on_hand", "reserved", "available", "updated_at"]
    list_filter = ["warehouse_code"]
    search_fields = ["sku", "=merchant_id"]
    fields = ["warehouse_code", "merchant_id", "sku", "on_hand", "reserved", "available", "updated_at", "ledger"]
    readonly_fields = fields
    inlines = [StockReservationInline]

    @admin.display(description="ledger (latest 50)")
    def ledger(self, obj):
        movements = StockMovement.objects.filter(stock=obj).order_by("-occurred_at", "-id")[:50]
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (m.occurred_at.strftime("%Y-%m-%d %H:%M:%S"), m.kind, f"{m.quantity:+d}", m.reference, m.actor)
                for m in movements
            ),
        )
        header = "".join(f"<th>{t}</th>" for t in ("at", "kind", "units", "reference", "by"))
        every = reverse("admin:warehouse_stockmovement_changelist") + f"?stock__id__exact={obj.pk}"
        table = format_html("<table><tr>{}</tr>{}</table>", mark_safe(header), rows)  # noqa: S308
        return format_html('{}<a href="{}">every movement</a>', table, every) if movements else "—"


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyAdmin):
    list_display = ["occurred_at", "warehouse_code", "stock", "kind", "quantity", "reference", "actor"]
    list_filter = ["kind", "warehouse_code"]
    search_fields = ["reference", "stock__sku"]
    list_select_related = ["stock"]


class AsnLineInline(ReadOnlyInline):
    model = AsnLine
    fields = ["sku", "expected", "accepted", "damaged"]


class AsnDiscrepancyInline(ReadOnlyInline):
    model = AsnDiscrepancy
    fields = ["recorded_at", "sku", "kind", "quantity", "receipt"]


class AsnReceiptInline(ReadOnlyInline):
    model = AsnReceipt
    fields = ["receipt_id", "received_at", "lines", "recorded_at"]


@admin.register(Asn)
class AsnAdmin(ReadOnlyAdmin):
    list_display = ["id", "reference", "merchant_id", "warehouse_code", "status", "expected_at", "created_at"]
    list_filter = ["status", "warehouse_code"]
    search_fields = ["=id", "=merchant_id"]
    fields = ["reference", "merchant_id", "warehouse_code", "status", "expected_at", "created_at", "closed_at"]
    readonly_fields = fields
    inlines = [AsnLineInline, AsnReceiptInline, AsnDiscrepancyInline]
    actions = ["close"]

    def has_operate_permission(self, request):
        return request.user.has_perm("warehouse.change_asn")

    @admin.display(description="reference")
    def reference(self, obj):
        return obj.external_reference

    @admin.action(description="Close (what did not arrive is recorded short)", permissions=["operate"])
    def close(self, request, queryset):
        _run_each(
            self, request, queryset, lambda o, **kw: asn_close(asn_id=o.pk, **kw), "Closed", actor=_staff(request)
        )


@admin.register(ReconciliationReport)
class ReconciliationReportAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "warehouse_code", "snapshot_id", "taken_at", "outcome", "skus", "adjusted", "held"]
    list_filter = ["outcome", "warehouse_code"]
    readonly_fields = [f.name for f in ReconciliationReport._meta.fields]


@admin.register(ReconciliationLine)
class ReconciliationLineAdmin(ReadOnlyAdmin):
    """Drift per SKU; a pending one is accepted (on hand moves by it) or held (ours stays)."""

    list_display = ["report", "merchant_id", "sku", "ours", "wms", "drift", "decision", "reason", "decided_by"]
    list_filter = ["decision", "report__warehouse_code"]
    search_fields = ["sku", "=merchant_id"]
    list_select_related = ["report"]
    actions = ["accept_drift", "hold_drift"]

    def has_decide_permission(self, request):
        return request.user.has_perm("warehouse.decide_drift")

    @admin.action(description="Accept drift (adjust on hand to the WMS's count)", permissions=["decide"])
    def accept_drift(self, request, queryset):
        _run_each(
            self,
            request,
            queryset,
            lambda o, **kw: reconciliation_drift_accept(line_id=o.pk, **kw),
            "Drift accepted",
            actor=_staff(request),
        )

    @admin.action(description="Hold (keep our count and look into it)", permissions=["decide"])
    def hold_drift(self, request, queryset):
        _run_each(
            self,
            request,
            queryset,
            lambda o, **kw: reconciliation_drift_hold(line_id=o.pk, **kw),
            "Drift held",
            actor=_staff(request),
            reason="held by operations",
        )


@admin.register(WmsCall)
class WmsCallAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "warehouse_code",
        "operation",
        "warehouse_order_id",
        "outcome",
        "duration_ms",
        "error",
    ]
    list_filter = ["warehouse_code", "operation", "outcome"]
    search_fields = ["=warehouse_order_id", "reference"]


@admin.register(WmsCursor)
class WmsCursorAdmin(ReadOnlyAdmin):
    list_display = ["warehouse_code", "cursor", "polled_at"]


@admin.register(StockCheck)
class StockCheckAdmin(ReadOnlyAdmin):
    list_display = ["checked_at", "stock_rows", "difference_count"]
    readonly_fields = ["checked_at", "stock_rows", "differences"]

    @admin.display(description="differences")
    def difference_count(self, obj):
        return len(obj.differences)
