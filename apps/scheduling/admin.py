from datetime import timedelta

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Min, Q
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone

from apps.common.admin import ReadOnlyInline, TransitionHistoryInline, staff_actor
from apps.scheduling.models import Lane, LaneChange, LaneEntry, LaneEntryTransition, MerchantPriority
from apps.scheduling.selectors import lane_overview, order_wait
from apps.scheduling.services import (
    LIMIT_FIELDS,
    lane_drain,
    lane_entry_raise,
    lane_limits_follow_carrier,
    lane_limits_set,
    lane_pause,
    merchant_priority_set,
)


class LaneChangeInline(ReadOnlyInline):
    model = LaneChange
    fields = ["changed_at", "actor", "old", "new"]


@admin.register(Lane)
class LaneAdmin(admin.ModelAdmin):
    list_display = [
        "key",
        "requests_per_second",
        "burst",
        "max_in_flight",
        "limits_set_by",
        "paused",
        "draining",
        "hold_reason",
        "queued",
        "in_flight",
        "released_last_minute",
        "oldest_waiting",
    ]
    list_filter = ["downstream_kind", "paused"]
    search_fields = ["key"]
    fields = [
        "key",
        "downstream_kind",
        "downstream_code",
        "requests_per_second",
        "burst",
        "max_in_flight",
        "limits_set_by",
        "paused",
        "draining",
        "hold_reason",
        "held_since",
        "virtual_clock",
    ]
    readonly_fields = [
        "key",
        "downstream_kind",
        "downstream_code",
        "limits_set_by",
        "draining",
        "hold_reason",
        "held_since",
        "virtual_clock",
    ]
    inlines = [LaneChangeInline]
    actions = ["pause", "resume", "drain", "follow_carrier"]
    # The lane page: depth, pace, gate, breaker and health, and each merchant's share, above the limits form.
    change_form_template = "admin/scheduling/lane/change_form.html"

    def get_queryset(self, request):
        minute_ago = timezone.now() - timedelta(minutes=1)
        return (
            super()
            .get_queryset(request)
            .annotate(
                queued_count=Count("entries", filter=Q(entries__state="queued")),
                in_flight_count=Count("entries", filter=Q(entries__state="released")),
                released_count=Count("entries", filter=Q(entries__released_at__gte=minute_ago)),
                oldest_queued=Min("entries__enqueued_at", filter=Q(entries__state="queued")),
            )
        )

    def get_urls(self):
        control = self.admin_site.admin_view(self.control_view)
        return [path("<int:lane_id>/change/control/", control, name="scheduling_lane_control"), *super().get_urls()]

    def control_view(self, request, lane_id: int):
        """Pause, resume or drain one lane from its page (POST only, staff who may change lanes)."""
        lane = self.get_object(request, str(lane_id))
        if request.method != "POST" or lane is None or not self.has_change_permission(request, lane):
            raise PermissionDenied
        operation = request.POST.get("operation")
        if operation == "drain":
            lane_drain(lane_id=lane.pk, actor=staff_actor(request))
            messages.success(request, f"{lane} drains: it pauses by itself once nothing waits.")
        elif operation in ("pause", "resume"):
            lane_pause(lane_id=lane.pk, paused=operation == "pause", actor=staff_actor(request))
            messages.success(request, f"{lane} {'paused' if operation == 'pause' else 'resumed'}.")
        else:
            messages.error(request, "Unknown lane operation.")
        return redirect("admin:scheduling_lane_change", lane.pk)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        lane = self.get_object(request, object_id)
        if lane is not None:
            extra_context = {**(extra_context or {}), "overview": lane_overview(lane=lane)}
        return super().change_view(request, object_id, form_url, extra_context)

    def has_add_permission(self, request):
        return False  # lanes come from the resource center's carriers

    def save_model(self, request, obj, form, change):
        # Limits go through the service, which records the edit and keeps it over the carrier's values.
        edited = {field: form.cleaned_data[field] for field in LIMIT_FIELDS if field in form.changed_data}
        if edited:
            lane_limits_set(lane_id=obj.pk, actor=staff_actor(request), **edited)
        if "paused" in form.changed_data:
            lane_pause(lane_id=obj.pk, paused=form.cleaned_data["paused"], actor=staff_actor(request))

    @admin.display(ordering="queued_count")
    def queued(self, obj):
        return obj.queued_count

    @admin.display(ordering="in_flight_count", description="in flight")
    def in_flight(self, obj):
        return obj.in_flight_count

    @admin.display(ordering="released_count", description="released in the last minute")
    def released_last_minute(self, obj):
        return obj.released_count

    @admin.display(ordering="oldest_queued", description="oldest waiting since")
    def oldest_waiting(self, obj):
        return obj.oldest_queued

    @admin.action(description="Pause the selected lanes (hold all their work)")
    def pause(self, request, queryset):
        for lane in queryset:
            lane_pause(lane_id=lane.pk, paused=True, actor=staff_actor(request))

    @admin.action(description="Resume the selected lanes")
    def resume(self, request, queryset):
        for lane in queryset:
            lane_pause(lane_id=lane.pk, paused=False, actor=staff_actor(request))

    @admin.action(description="Drain the selected lanes (let their waiting work go, then pause)")
    def drain(self, request, queryset):
        for lane in queryset:
            lane_drain(lane_id=lane.pk, actor=staff_actor(request))
        messages.success(request, "The selected lanes pause by themselves once their waiting work has gone.")

    @admin.action(description="Let the limits follow the carrier again")
    def follow_carrier(self, request, queryset):
        for lane in queryset:
            lane_limits_follow_carrier(lane_id=lane.pk, actor=staff_actor(request))
        messages.success(request, "The selected lanes follow their carriers' limits again.")


class LaneEntryTransitionInline(TransitionHistoryInline):
    model = LaneEntryTransition


@admin.register(LaneEntry)
class LaneEntryAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "order_id", "lane", "priority", "state", "attempts", "not_before", "enqueued_at"]
    list_filter = ["state", "kind", "lane"]
    search_fields = ["=order_id", "=distribution_order_id"]
    readonly_fields = [
        "why_waiting",
        "lane",
        "kind",
        "order_id",
        "merchant_id",
        "distribution_order_id",
        "flow",
        "priority",
        "virtual_start",
        "state",
        "version",
        "attempts",
        "not_before",
        "lease_until",
        "last_error",
        "enqueued_at",
        "aged_at",
        "released_at",
        "finished_at",
    ]
    inlines = [LaneEntryTransitionInline]
    actions = ["raise_priority"]

    def has_add_permission(self, request):
        return False

    @admin.display(description="why is it waiting")
    def why_waiting(self, entry: LaneEntry) -> str:
        wait = order_wait(order_id=entry.order_id) if entry.kind == "book" and entry.order_id else None
        if wait is None:
            return "not waiting"
        estimate = "unknown" if wait.estimate_seconds is None else f"~{wait.estimate_seconds} s"
        return f"place {wait.place}, held by {wait.held_by}: {wait.reason}; estimate {estimate}"

    @admin.action(description="Raise the selected waiting work one priority level")
    def raise_priority(self, request, queryset):
        for entry in queryset.filter(state="queued"):
            lane_entry_raise(entry_id=entry.pk, actor=staff_actor(request))


@admin.register(MerchantPriority)
class MerchantPriorityAdmin(admin.ModelAdmin):
    list_display = ["merchant_id", "boost", "set_by", "updated_at"]
    fields = ["merchant_id", "boost"]

    def save_model(self, request, obj, form, change):
        merchant_priority_set(merchant_id=obj.merchant_id, boost=obj.boost, actor=staff_actor(request))
