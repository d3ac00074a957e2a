from django.contrib import admin

from apps.common.admin import TransitionHistoryInline
from apps.warehouse.models import StockLevel, WarehouseOrder, WarehouseOrderTransition


class WarehouseOrderTransitionInline(TransitionHistoryInline):
    model = WarehouseOrderTransition


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
