from django.contrib import admin

from apps.common.models import IdWorkerLease, OutboxEvent, ProcessedEvent


class ReadOnlyInline(admin.TabularInline):
    """Rows shown under their object that the admin never adds, changes or deletes: they are
    written by services alone (histories, attempts, events). Subclasses set `model` and `fields`."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False


class ProcessedEventInline(ReadOnlyInline):
    model = ProcessedEvent
    fields = ["handler", "processed_at"]


class TransitionHistoryInline(ReadOnlyInline):
    """A state machine's history (a `TransitionRecord` subclass) under its object: rows are
    written by `take_transition` alone. Subclasses set `model`."""

    fields = ["occurred_at", "transition", "from_state", "to_state", "actor", "reason"]


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


def staff_actor(request) -> str:
    """How a staff member's action is recorded in histories and change logs."""
    return f"staff:{request.user.get_username()}"
