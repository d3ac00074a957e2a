from django.contrib import admin, messages

from apps.common.admin import ReadOnlyInline
from apps.common.exceptions import DomainError
from apps.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from apps.webhooks.services import delivery_redeliver
from apps.webhooks.signing import masked


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["id", "merchant_id", "url", "description", "enabled", "disabled_reason", "shown_secret"]
    list_filter = ["enabled"]
    search_fields = ["url", "description", "merchant_id"]
    # Secrets are made by the service and shown once to the merchant; never here.
    exclude = ["secret", "previous_secret"]
    # The URL and event types are the merchant's (and the URL is checked against private
    # addresses on their way in); the back office only switches an endpoint off or on.
    readonly_fields = [
        "merchant_id",
        "url",
        "event_types",
        "shown_secret",
        "previous_secret_expires_at",
        "created_at",
        "updated_at",
    ]

    def has_add_permission(self, request):
        return False

    @admin.display(description="secret")
    def shown_secret(self, endpoint: WebhookEndpoint) -> str:
        return masked(endpoint.secret)


class WebhookAttemptInline(ReadOnlyInline):
    model = WebhookAttempt
    fields = ["started_at", "duration_ms", "status_code", "succeeded", "error", "response_excerpt"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "merchant_id",
        "endpoint",
        "event_type",
        "event_id",
        "state",
        "attempts",
        "last_status_code",
        "next_attempt_at",
        "created_at",
    ]
    list_filter = ["state", "event_type"]
    search_fields = ["event_id", "merchant_id", "order_id"]
    list_select_related = ["endpoint"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.concrete_fields]
    inlines = [WebhookAttemptInline]
    actions = ["redeliver"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Redeliver the selected deliveries (sent again within seconds)")
    def redeliver(self, request, queryset):
        done = 0
        for delivery in queryset:
            try:
                delivery_redeliver(merchant_id=delivery.merchant_id, delivery_id=delivery.pk)
            except DomainError as exc:
                self.message_user(request, f"Delivery {delivery.pk}: {exc.message}", level=messages.ERROR)
                continue
            done += 1
        self.message_user(request, f"{done} delivery(ies) queued to be sent again.")
