from django.contrib import admin

from apps.common.admin import ReadOnlyInline
from apps.imports.models import ImportJob, ImportRowError


class ImportRowErrorInline(ReadOnlyInline):
    model = ImportRowError
    fields = ["row", "column", "field", "message"]
    max_num = 200


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    """Operations read imports (a merchant asking why a row was refused, a stuck job); the
    merchant does everything in the portal, so nothing is changed here."""

    list_display = [
        "id", "merchant_id", "file_name", "state", "only_valid", "rows_total", "orders_valid",
        "orders_invalid", "orders_created", "created_at", "finished_at",
    ]  # fmt: skip
    list_filter = ["state", "only_valid", "kind"]
    search_fields = ["file_name", "file_hash", "merchant_id"]
    exclude = ["table"]  # the rows hold buyers' addresses; the merchant's error file has them
    inlines = [ImportRowErrorInline]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("table")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
