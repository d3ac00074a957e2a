from django.contrib import admin
from django.http import HttpResponse
from django.urls import path, reverse
from django.utils.html import format_html

from apps.distribution.models import DistributionOrder, DistributionTransition, TrackingEvent


class DistributionTransitionInline(admin.TabularInline):
    model = DistributionTransition
    extra = 0
    can_delete = False
    readonly_fields = ["occurred_at", "transition", "from_state", "to_state", "actor", "reason"]
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


class TrackingEventInline(admin.TabularInline):
    model = TrackingEvent
    extra = 0
    can_delete = False
    readonly_fields = ["occurred_at", "milestone", "carrier_status", "description", "location", "received_at"]
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(DistributionOrder)
class DistributionOrderAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "order_id",
        "carrier_code",
        "service_code",
        "state",
        "tracking_number",
        "booking_attempts",
        "booked_at",
        "created_at",
        "label_link",
    ]
    list_filter = ["state", "carrier_code"]
    search_fields = ["=id", "=order_id", "tracking_number"]
    readonly_fields = [
        "order_id",
        "merchant_id",
        "carrier_code",
        "service_code",
        "state",
        "version",
        "idempotency_key",
        "tracking_number",
        "booking_attempts",
        "last_error",
        "booked_at",
        "next_poll_at",
        "created_at",
        "updated_at",
        "label_link",
    ]
    exclude = ["label_pdf"]
    inlines = [DistributionTransitionInline, TrackingEventInline]

    def has_add_permission(self, request):
        return False

    @admin.display(description="label")
    def label_link(self, obj):
        if not obj.tracking_number:
            return "—"
        return format_html('<a href="{}">PDF</a>', reverse("admin:distribution_label", args=[obj.pk]))

    def get_urls(self):
        label = path("<int:pk>/label.pdf", self.admin_site.admin_view(self.label_view), name="distribution_label")
        return [label, *super().get_urls()]

    def label_view(self, request, pk):
        distribution_order = DistributionOrder.objects.get(pk=pk)
        response = HttpResponse(bytes(distribution_order.label_pdf), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{distribution_order.tracking_number}.pdf"'
        return response


@admin.register(TrackingEvent)
class TrackingEventAdmin(admin.ModelAdmin):
    list_display = [
        "distribution_order",
        "order_id",
        "milestone",
        "carrier_status",
        "location",
        "occurred_at",
        "received_at",
    ]
    list_filter = ["milestone"]
    search_fields = ["=order_id", "distribution_order__tracking_number"]
    raw_id_fields = ["distribution_order"]
