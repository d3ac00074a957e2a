"""The operations back office of the resource center. Every save here changes catalogue tables,
whose triggers bump the catalogue version: routing picks the change up within a second."""

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from apps.resources.exceptions import RateCardInvalid
from apps.resources.models import (
    Carrier,
    CarrierService,
    Coverage,
    ExchangeRate,
    LineHaul,
    MerchantRoutingPreference,
    RateBreak,
    RateCard,
    ServiceDailyUsage,
    ServiceRecord,
    Surcharge,
    Warehouse,
    WarehouseDailyUsage,
    Zone,
)
from apps.resources.selectors import rate_card_csv
from apps.resources.services import rate_card_import


def masked(secret: str) -> str:
    """A credential as the back office shows it: its last four characters at most."""
    if not secret:
        return "—"
    return "•" * 8 + secret[-4:] if len(secret) > 8 else "•" * 8


class CarrierForm(forms.ModelForm):
    new_api_key = forms.CharField(
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False),
        label="Replace API key",
        help_text="Write-only: leave empty to keep the current key.",
    )

    class Meta:
        model = Carrier
        fields = [
            "code",
            "name",
            "gateway_kind",
            "endpoint_url",
            "status",
            "requests_per_second",
            "max_concurrent_calls",
            "timezone",
        ]

    def save(self, commit=True):
        carrier = super().save(commit=False)
        if self.cleaned_data.get("new_api_key"):
            carrier.api_key = self.cleaned_data["new_api_key"]
        if commit:
            carrier.save()
            self.save_m2m()
        return carrier


class CarrierServiceInline(admin.TabularInline):
    model = CarrierService
    extra = 0
    fields = ["code", "name", "level", "transit_days_min", "transit_days_max", "currency", "is_active"]
    show_change_link = True


class ZoneInline(admin.TabularInline):
    model = Zone
    extra = 0
    fields = ["code", "name", "countries", "postcode_prefixes", "postcode_ranges"]


class SurchargeInline(admin.TabularInline):
    model = Surcharge
    extra = 0


@admin.register(Carrier)
class CarrierAdmin(admin.ModelAdmin):
    form = CarrierForm
    list_display = [
        "code",
        "name",
        "gateway_kind",
        "status",
        "requests_per_second",
        "max_concurrent_calls",
        "endpoint_url",
        "api_key_masked",
    ]
    list_filter = ["status", "gateway_kind"]
    search_fields = ["code", "name"]
    readonly_fields = ["api_key_masked"]
    inlines = [CarrierServiceInline, ZoneInline, SurchargeInline]

    @admin.display(description="API key")
    def api_key_masked(self, obj: Carrier) -> str:
        return masked(obj.api_key)


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
        "daily_capacity",
        "currency",
        "is_active",
    ]
    list_filter = ["level", "is_active", "carrier"]
    search_fields = ["code", "name", "carrier__code"]
    inlines = [CoverageInline]
    fieldsets = [
        (None, {"fields": ["carrier", "code", "name", "level", "is_active", "transit_days_min", "transit_days_max"]}),
        (
            "Limits",
            {
                "fields": [
                    "max_weight_g",
                    "max_length_mm",
                    "min_declared_value",
                    "max_declared_value",
                    "refused_contents",
                    "daily_capacity",
                ]
            },
        ),
        (
            "Prices (without a rate card) and surcharges",
            {"fields": ["base_price", "price_per_kg", "currency", "volumetric_divisor", "fuel_surcharge_pct"]},
        ),
        ("On-time record", {"fields": ["on_time_prior"]}),
    ]


@admin.register(Coverage)
class CoverageAdmin(admin.ModelAdmin):
    list_display = ["service", "origin_country", "destination_country", "postcode_prefixes", "postcode_ranges"]
    list_filter = ["origin_country", "destination_country"]
    search_fields = ["service__code", "service__carrier__code"]


@admin.register(Zone)
class ZoneAdmin(admin.ModelAdmin):
    list_display = ["__str__", "name", "countries", "postcode_prefixes", "postcode_ranges"]
    list_filter = ["carrier"]
    search_fields = ["code", "carrier__code"]


class RateBreakInline(admin.TabularInline):
    model = RateBreak
    extra = 0

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "zone" and getattr(request, "_rate_card", None) is not None:
            kwargs["queryset"] = Zone.objects.filter(carrier=request._rate_card.service.carrier)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class RateCardImportForm(forms.Form):
    file = forms.FileField(help_text="Columns zone, up_to_g, price, extra_per_kg (as the export writes them).")


@admin.register(RateCard)
class RateCardAdmin(admin.ModelAdmin):
    list_display = ["__str__", "currency", "breaks_count"]
    search_fields = ["service__code", "service__carrier__code"]
    inlines = [RateBreakInline]
    actions = ["export_csv"]
    change_form_template = "admin/resources/ratecard/change_form.html"

    @admin.display(description="weight breaks")
    def breaks_count(self, obj: RateCard) -> int:
        return obj.breaks.count()

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        request._rate_card = obj
        return obj

    @admin.action(description="Export the selected rate cards as CSV")
    def export_csv(self, request, queryset):
        cards = list(queryset.select_related("service__carrier"))
        if len(cards) != 1:
            self.message_user(request, "Export one rate card at a time.", messages.WARNING)
            return None
        return self._csv_response(cards[0])

    @staticmethod
    def _csv_response(card: RateCard) -> HttpResponse:
        response = HttpResponse(rate_card_csv(card_id=card.pk), content_type="text/csv")
        name = f"rate-card-{card.service.carrier.code}-{card.service.code}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    def get_urls(self):
        return [
            path(
                "<int:card_id>/import/",
                self.admin_site.admin_view(self.import_view),
                name="resources_ratecard_import",
            ),
            path(
                "<int:card_id>/export/",
                self.admin_site.admin_view(self.export_view),
                name="resources_ratecard_export",
            ),
            *super().get_urls(),
        ]

    def export_view(self, request, card_id: int):
        if not self.has_view_permission(request):
            return redirect("admin:index")
        return self._csv_response(get_object_or_404(RateCard.objects.select_related("service__carrier"), pk=card_id))

    def import_view(self, request, card_id: int):
        card = get_object_or_404(RateCard.objects.select_related("service__carrier"), pk=card_id)
        if not self.has_change_permission(request, card):
            return redirect("admin:index")
        form = RateCardImportForm(request.POST or None, request.FILES or None)
        line_errors: dict = {}
        if request.method == "POST" and form.is_valid():
            text = form.cleaned_data["file"].read().decode("utf-8-sig", errors="replace")
            try:
                count = rate_card_import(card_id=card.pk, text=text)
            except RateCardInvalid as exc:
                form.add_error("file", exc.message)
                line_errors = exc.extra.get("lines", {})
            else:
                self.message_user(request, f"Imported {count} weight breaks into {card}.", messages.SUCCESS)
                return redirect(reverse("admin:resources_ratecard_change", args=[card.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Import CSV into {card}",
            "card": card,
            "form": form,
            "line_errors": sorted(line_errors.items()),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/resources/ratecard/import.html", context)


@admin.register(Surcharge)
class SurchargeAdmin(admin.ModelAdmin):
    list_display = ["__str__", "postcode_prefixes", "postcode_ranges", "amount", "currency"]
    list_filter = ["carrier", "country"]


@admin.register(LineHaul)
class LineHaulAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "hub_city", "destination_hub", "departure_weekdays", "cutoff_time", "timezone"]
    search_fields = ["code", "name"]


@admin.register(Warehouse)
class WarehouseAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "country",
        "city",
        "ships_to",
        "handling_fee",
        "currency",
        "cutoff_time",
        "timezone",
        "daily_capacity",
        "is_active",
    ]
    list_filter = ["country", "is_active"]
    search_fields = ["code", "name", "city"]
    filter_horizontal = ["carriers"]


@admin.register(ExchangeRate)
class ExchangeRateAdmin(admin.ModelAdmin):
    list_display = ["currency", "usd_per_unit", "updated_at"]


@admin.register(MerchantRoutingPreference)
class MerchantRoutingPreferenceAdmin(admin.ModelAdmin):
    list_display = ["merchant_id", "default_strategy", "preferred_carriers", "blocked_carriers"]
    search_fields = ["merchant_id"]


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ServiceDailyUsage)
class ServiceDailyUsageAdmin(_ReadOnly):
    list_display = ["day", "carrier_code", "service_code", "orders"]
    list_filter = ["day"]


@admin.register(WarehouseDailyUsage)
class WarehouseDailyUsageAdmin(_ReadOnly):
    list_display = ["day", "warehouse_code", "orders"]
    list_filter = ["day"]


@admin.register(ServiceRecord)
class ServiceRecordAdmin(_ReadOnly):
    list_display = ["carrier_code", "service_code", "delivered", "on_time"]
