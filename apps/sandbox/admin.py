from django.contrib import admin

from apps.sandbox.models import (
    SandboxAsn,
    SandboxCarrier,
    SandboxReceipt,
    SandboxShipment,
    SandboxStock,
    SandboxWarehouse,
    SandboxWmsOrder,
)


@admin.register(SandboxCarrier)
class SandboxCarrierAdmin(admin.ModelAdmin):
    list_display = ["code", "latency_ms", "error_rate", "timeout_rate", "outage", "delivery_seconds"]
    list_editable = ["latency_ms", "error_rate", "timeout_rate", "outage", "delivery_seconds"]


@admin.register(SandboxShipment)
class SandboxShipmentAdmin(admin.ModelAdmin):
    list_display = [
        "tracking_number",
        "carrier_code",
        "service",
        "reference",
        "created_at",
        "delivery_seconds",
        "cancelled_at",
    ]
    list_filter = ["carrier_code", "service"]
    search_fields = ["tracking_number", "reference", "idempotency_key"]
    exclude = ["label_pdf"]
    readonly_fields = [
        "carrier_code",
        "idempotency_key",
        "tracking_number",
        "service",
        "reference",
        "request",
        "delivery_seconds",
        "created_at",
        "cancelled_at",
    ]


@admin.register(SandboxWarehouse)
class SandboxWarehouseAdmin(admin.ModelAdmin):
    """The sandbox WMS's knobs, per warehouse (also over HTTP at /sandbox/wms/<code>/behaviour/)."""

    list_display = [
        "code",
        "outage",
        "error_rate",
        "timeout_rate",
        "lost_reply_rate",
        "latency_ms",
        "stage_seconds",
        "short_pick_rate",
        "drift_rate",
    ]
    list_editable = [
        "outage",
        "error_rate",
        "timeout_rate",
        "lost_reply_rate",
        "latency_ms",
        "stage_seconds",
        "short_pick_rate",
        "drift_rate",
    ]
    readonly_fields = ["last_cursor"]
    # The signing secret comes from SANDBOX_WEBHOOK_SECRET or the HTTP knob, and is never shown.
    exclude = ["webhook_secret"]


@admin.register(SandboxWmsOrder)
class SandboxWmsOrderAdmin(admin.ModelAdmin):
    list_display = ["external_reference", "warehouse_code", "stage", "sequence", "create_attempts", "created_at"]
    list_filter = ["warehouse_code", "stage"]
    search_fields = ["external_reference"]
    readonly_fields = [
        "warehouse_code",
        "external_reference",
        "request",
        "lines",
        "parcels",
        "stage",
        "sequence",
        "create_attempts",
        "created_at",
        "stage_changed_at",
    ]


@admin.register(SandboxStock)
class SandboxStockAdmin(admin.ModelAdmin):
    list_display = ["sku", "warehouse_code", "on_hand"]
    list_editable = ["on_hand"]
    list_filter = ["warehouse_code"]
    search_fields = ["sku"]


class SandboxReceiptInline(admin.TabularInline):
    model = SandboxReceipt
    extra = 0
    readonly_fields = ["lines", "received_at"]


@admin.register(SandboxAsn)
class SandboxAsnAdmin(admin.ModelAdmin):
    list_display = ["external_reference", "warehouse_code", "expected_at", "create_attempts", "created_at"]
    list_filter = ["warehouse_code"]
    search_fields = ["external_reference"]
    readonly_fields = ["warehouse_code", "external_reference", "lines", "expected_at", "create_attempts", "created_at"]
    inlines = [SandboxReceiptInline]
