from django.contrib import admin

from apps.common.admin import ReadOnlyInline, TransitionHistoryInline
from apps.fulfillment.models import FulfillmentLeg, FulfillmentOrder, FulfillmentTransition


class FulfillmentLegInline(ReadOnlyInline):
    model = FulfillmentLeg
    fields = ["sequence", "kind", "leg_id", "state", "updated_at"]


class FulfillmentTransitionInline(TransitionHistoryInline):
    model = FulfillmentTransition


@admin.register(FulfillmentOrder)
class FulfillmentOrderAdmin(admin.ModelAdmin):
    list_display = ["id", "order_id", "merchant_id", "state", "created_at", "updated_at"]
    list_filter = ["state"]
    search_fields = ["=order_id"]
    readonly_fields = ["order_id", "merchant_id", "state", "version", "created_at", "updated_at"]
    inlines = [FulfillmentLegInline, FulfillmentTransitionInline]

    def has_add_permission(self, request):
        return False


@admin.register(FulfillmentLeg)
class FulfillmentLegAdmin(admin.ModelAdmin):
    list_display = ["fulfillment_order", "sequence", "kind", "leg_id", "state", "updated_at"]
    list_filter = ["kind", "state"]
    search_fields = ["=leg_id", "=fulfillment_order__order_id"]
    raw_id_fields = ["fulfillment_order"]
