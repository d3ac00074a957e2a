from django.contrib import admin

from apps.sandbox.models import SandboxCarrier, SandboxShipment


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
