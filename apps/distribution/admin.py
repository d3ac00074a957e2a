from datetime import timedelta

from django.conf import settings
from django.contrib import admin, messages
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from apps.common.admin import ReadOnlyInline, TransitionHistoryInline, staff_actor
from apps.distribution.models import (
    CarrierCall,
    CarrierWebhookConfig,
    DistributionOrder,
    DistributionTransition,
    TrackingEvent,
)
from apps.distribution.selectors import carrier_health_report, distribution_orders_stuck
from apps.distribution.services import distribution_order_request_label, distribution_order_retry
from apps.resources.selectors import carrier_list

HEALTH_WINDOW = timedelta(hours=1)


class StuckFilter(admin.SimpleListFilter):
    title = "progress"
    parameter_name = "stuck"

    def lookups(self, request, model_admin):
        return [("yes", f"Stuck (no change for {settings.DISTRIBUTION_STUCK_MINUTES} min)")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            stuck = distribution_orders_stuck(older_than=timedelta(minutes=settings.DISTRIBUTION_STUCK_MINUTES))
            return queryset.filter(pk__in=stuck.values("pk"))
        return queryset


class DistributionTransitionInline(TransitionHistoryInline):
    model = DistributionTransition


class TrackingEventInline(ReadOnlyInline):
    model = TrackingEvent
    fields = ["occurred_at", "milestone", "carrier_status", "description", "location", "received_at"]


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
    list_filter = [StuckFilter, "state", "carrier_code"]
    search_fields = ["=id", "=order_id", "tracking_number"]
    actions = ["retry_now", "fetch_label"]
    change_list_template = "admin/distribution/distributionorder_change_list.html"
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
        "last_event_at",
        "label_link",
        "carrier_calls",
    ]
    exclude = ["label_pdf", "carrier_label_pdf"]
    inlines = [DistributionTransitionInline, TrackingEventInline]

    def has_add_permission(self, request):
        return False

    @admin.display(description="label")
    def label_link(self, obj):
        if not obj.tracking_number:
            return "—"
        return format_html('<a href="{}">PDF</a>', reverse("admin:distribution_label", args=[obj.pk]))

    @admin.action(description="Retry now (book again, or poll the carrier now)")
    def retry_now(self, request, queryset):
        for distribution_order in queryset:
            distribution_order_retry(distribution_order_id=distribution_order.pk, actor=staff_actor(request))
        self.message_user(request, f"Asked {queryset.count()} distribution order(s) to retry.", messages.SUCCESS)

    @admin.action(description="Fetch the carrier's label again (through the carrier's lane)")
    def fetch_label(self, request, queryset):
        asked = sum(
            distribution_order_request_label(
                distribution_order_id=d.pk, actor=staff_actor(request), reason="operations asked for the label again"
            )
            for d in queryset
        )
        skipped = len(queryset) - asked
        note = f"; {skipped} not booked or already delivered" if skipped else ""
        self.message_user(request, f"Asked the carrier for {asked} label(s){note}.", messages.SUCCESS)

    def get_urls(self):
        label = path("<int:pk>/label.pdf", self.admin_site.admin_view(self.label_view), name="distribution_label")
        health = path("carrier-health/", self.admin_site.admin_view(self.health_view), name="carrier_health")
        return [label, health, *super().get_urls()]

    def health_view(self, request):
        report = carrier_health_report(
            carrier_codes=[c.code for c in carrier_list()], since=timezone.now() - HEALTH_WINDOW
        )
        stuck = distribution_orders_stuck(older_than=timedelta(minutes=settings.DISTRIBUTION_STUCK_MINUTES))
        context = {
            **self.admin_site.each_context(request),
            "report": report,
            "stuck_count": stuck.count(),
            "window_minutes": int(HEALTH_WINDOW.total_seconds() // 60),
            "title": "Carrier health",
        }
        return TemplateResponse(request, "admin/distribution/carrier_health.html", context)

    @admin.display(description="calls to the carrier")
    def carrier_calls(self, obj):
        calls = CarrierCall.objects.filter(distribution_order_id=obj.pk).order_by("created_at")[:50]
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{} {}</td><td>{}</td><td>{}</td><td>{} ms</td><td>{}</td></tr>",
            (
                (
                    c.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                    c.operation,
                    c.method,
                    c.path,
                    c.status_code or "—",
                    c.outcome,
                    c.duration_ms,
                    c.error,
                )
                for c in calls
            ),
        )
        header = "".join(f"<th>{t}</th>" for t in ("at", "operation", "request", "status", "outcome", "took", "error"))
        return format_html("<table><tr>{}</tr>{}</table>", mark_safe(header), rows) if calls else "—"  # noqa: S308

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


@admin.register(CarrierCall)
class CarrierCallAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "carrier_code",
        "operation",
        "distribution_order_id",
        "status_code",
        "outcome",
        "duration_ms",
        "error",
    ]
    list_filter = ["carrier_code", "operation", "outcome"]
    search_fields = ["=distribution_order_id", "path"]
    readonly_fields = [f.name for f in CarrierCall._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(CarrierWebhookConfig)
class CarrierWebhookConfigAdmin(admin.ModelAdmin):
    list_display = ["carrier_code", "masked_secret", "tolerance_seconds"]

    @admin.display(description="secret")
    def masked_secret(self, obj):
        return f"…{obj.secret[-4:]}" if obj.secret else "—"
