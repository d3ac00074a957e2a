from django.contrib import admin

from apps.resources.models import Carrier, CarrierService, Coverage, Warehouse


class CarrierServiceInline(admin.TabularInline):
    model = CarrierService
    extra = 0
    fields = [
        "code",
        "name",
        "level",
        "transit_days_min",
        "transit_days_max",
        "max_weight_g",
        "base_price",
        "price_per_kg",
        "currency",
        "is_active",
    ]


@admin.register(Carrier)
class CarrierAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "gateway_kind",
        "status",
        "requests_per_second",
        "max_concurrent_calls",
        "endpoint_url",
    ]
    list_filter = ["status", "gateway_kind"]
    search_fields = ["code", "name"]
    inlines = [CarrierServiceInline]


class CoverageInline(admin.TabularInline):
    model = Coverage
    extra = 0


@admin.register(CarrierService)
class CarrierServiceAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "name",
        "level",
        "transit_days_min",
        "transit_days_max",
        "max_weight_g",
        "base_price",
        "price_per_kg",
        "currency",
        "is_active",
    ]
    list_filter = ["level", "is_active", "carrier"]
    search_fields = ["code", "name", "carrier__code"]
    inlines = [CoverageInline]


@admin.register(Coverage)
class CoverageAdmin(admin.ModelAdmin):
    list_display = ["service", "origin_country", "destination_country", "postcode_prefixes"]
    list_filter = ["origin_country", "destination_country"]
    search_fields = ["service__code", "service__carrier__code"]


@admin.register(Warehouse)
class WarehouseAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "country", "city", "ships_to", "handling_fee", "currency", "is_active"]
    list_filter = ["country", "is_active"]
    search_fields = ["code", "name", "city"]
    filter_horizontal = ["carriers"]
