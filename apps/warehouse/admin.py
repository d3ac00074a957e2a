from django.contrib import admin

from apps.warehouse.models import StockLevel, WarehouseOrder, WarehouseOrderTransition


class WarehouseOrderTransitionInline(admin.TabularInline):
    model = WarehouseOrderTransition
    extra = 0
    can_delete = False
    readonly_fields = ["occurred_at", "transition", "from_state", "to_state", "actor", "reason"]
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WarehouseOrder)
class WarehouseOrderAdmin(admin.ModelAdmin):
    list_display = ["id", "order_id", "warehouse_code", "state", "external_reference", "created_at"]
    list_filter = ["state", "warehouse_code"]
    search_fields = ["=order_id", "external_reference"]
    readonly_fields = ["state", "version"]
    inlines = [WarehouseOrderTransitionInline]


@admin.register(StockLevel)
class StockLevelAdmin(admin.ModelAdmin):
    list_display = ["merchant_id", "warehouse_code", "sku", "on_hand", "reserved"]
    list_filter = ["warehouse_code"]
    search_fields = ["sku", "=merchant_id"]
