from django.contrib import admin

from apps.common.models import IdWorkerLease, OutboxEvent, ProcessedEvent


class ProcessedEventInline(admin.TabularInline):
    model = ProcessedEvent
    extra = 0
    can_delete = False
    readonly_fields = ["handler", "processed_at"]

    def has_add_permission(self, request, obj=None):
        return False


class TransitionHistoryInline(admin.TabularInline):
    """A state machine's history (a `TransitionRecord` subclass) under its object, read-only:
    rows are written by `take_transition` alone. Subclasses set `model`."""

    extra = 0
    can_delete = False
    readonly_fields = ["occurred_at", "transition", "from_state", "to_state", "actor", "reason"]
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(OutboxEvent)
class OutboxEventAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "event_type",
        "aggregate_type",
        "aggregate_id",
        "merchant_id",
        "actor",
        "created_at",
        "relayed_at",
    ]
    list_filter = ["event_type", "aggregate_type"]
    search_fields = ["=aggregate_id", "event_type"]
    readonly_fields = [f.name for f in OutboxEvent._meta.fields]
    inlines = [ProcessedEventInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(IdWorkerLease)
class IdWorkerLeaseAdmin(admin.ModelAdmin):
    list_display = ["worker_id", "holder", "expires_at"]
    search_fields = ["holder"]
