from django.contrib import admin, messages

from apps.common.admin import ReadOnlyInline, TransitionHistoryInline, staff_actor
from apps.common.fsm import TransitionNotAllowed
from apps.fulfillment.models import (
    Consolidation,
    ConsolidationParcel,
    ConsolidationTransition,
    FulfillmentLeg,
    FulfillmentOrder,
    FulfillmentTransition,
    PlanStep,
)
from apps.fulfillment.services import consolidation_arrive, consolidation_depart


class FulfillmentLegInline(ReadOnlyInline):
    model = FulfillmentLeg
    fields = ["sequence", "kind", "role", "leg_id", "state", "updated_at"]


class PlanStepInline(ReadOnlyInline):
    model = PlanStep
    fields = ["action", "leg", "state", "reason", "attempts", "last_error", "created_at", "done_at"]


class FulfillmentTransitionInline(TransitionHistoryInline):
    model = FulfillmentTransition


@admin.register(FulfillmentOrder)
class FulfillmentOrderAdmin(admin.ModelAdmin):
    list_display = ["id", "order_id", "merchant_id", "line_haul_code", "state", "created_at", "updated_at"]
    list_filter = ["state", "line_haul_code"]
    search_fields = ["=order_id"]
    readonly_fields = ["order_id", "merchant_id", "line_haul_code", "state", "version", "created_at", "updated_at"]
    inlines = [FulfillmentLegInline, PlanStepInline, FulfillmentTransitionInline]

    def has_add_permission(self, request):
        return False


@admin.register(FulfillmentLeg)
class FulfillmentLegAdmin(admin.ModelAdmin):
    list_display = ["fulfillment_order", "sequence", "kind", "role", "leg_id", "state", "updated_at"]
    list_filter = ["kind", "role", "state"]
    search_fields = ["=leg_id", "=fulfillment_order__order_id"]
    raw_id_fields = ["fulfillment_order"]


class ConsolidationParcelInline(ReadOnlyInline):
    model = ConsolidationParcel
    fields = ["order_id", "merchant_id", "added_at"]


class ConsolidationTransitionInline(TransitionHistoryInline):
    model = ConsolidationTransition


@admin.register(Consolidation)
class ConsolidationAdmin(admin.ModelAdmin):
    """Line haul containers: operations record departure (with the container's number) and arrival,
    which books every parcel's last mile."""

    list_display = ["id", "line_haul_code", "departs_on", "closes_at", "state", "container_number"]
    list_filter = ["state", "line_haul_code"]
    date_hierarchy = "departs_on"
    readonly_fields = ["line_haul_code", "departs_on", "closes_at", "state", "version", "created_at", "updated_at"]
    fields = [*readonly_fields[:4], "container_number", *readonly_fields[4:]]
    inlines = [ConsolidationParcelInline, ConsolidationTransitionInline]
    actions = ["record_departure", "record_arrival"]

    def has_add_permission(self, request):
        return False  # containers open as parcels reach the hub

    def save_model(self, request, obj, form, change):
        # The number is recorded with the departure (action), where the history keeps who and when.
        Consolidation.objects.filter(pk=obj.pk).update(container_number=obj.container_number)

    @admin.action(description="Record departure from the origin hub")
    def record_departure(self, request, queryset):
        for container in queryset:
            try:
                consolidation_depart(
                    consolidation_id=container.pk,
                    container_number=container.container_number,
                    actor=staff_actor(request),
                )
            except TransitionNotAllowed:
                messages.error(request, f"{container} cannot depart: it is {container.state}.")

    @admin.action(description="Record arrival at the destination hub (books each parcel's last mile)")
    def record_arrival(self, request, queryset):
        for container in queryset:
            try:
                consolidation_arrive(consolidation_id=container.pk, actor=staff_actor(request))
            except TransitionNotAllowed:
                messages.error(request, f"{container} cannot arrive: it is {container.state}.")
