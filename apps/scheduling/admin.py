from django.contrib import admin
from django.db.models import Count, Q

from apps.common.admin import TransitionHistoryInline
from apps.scheduling.models import Lane, LaneEntry, LaneEntryTransition


@admin.register(Lane)
class LaneAdmin(admin.ModelAdmin):
    list_display = ["key", "downstream_kind", "requests_per_second", "max_in_flight", "paused", "queued", "in_flight"]
    list_filter = ["downstream_kind", "paused"]
    list_editable = ["paused"]
    search_fields = ["key"]
    readonly_fields = ["tokens", "refilled_at"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                queued_count=Count("entries", filter=Q(entries__state="queued")),
                in_flight_count=Count("entries", filter=Q(entries__state="released")),
            )
        )

    @admin.display(ordering="queued_count")
    def queued(self, obj):
        return obj.queued_count

    @admin.display(ordering="in_flight_count", description="in flight")
    def in_flight(self, obj):
        return obj.in_flight_count


class LaneEntryTransitionInline(TransitionHistoryInline):
    model = LaneEntryTransition


@admin.register(LaneEntry)
class LaneEntryAdmin(admin.ModelAdmin):
    list_display = ["order_id", "lane", "priority", "state", "enqueued_at", "released_at", "finished_at"]
    list_filter = ["state", "lane"]
    search_fields = ["=order_id"]
    readonly_fields = [
        "lane",
        "order_id",
        "merchant_id",
        "priority",
        "state",
        "version",
        "enqueued_at",
        "released_at",
        "finished_at",
    ]
    inlines = [LaneEntryTransitionInline]

    def has_add_permission(self, request):
        return False
