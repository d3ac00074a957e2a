from apps.common.exceptions import Conflict, DomainError, NotFound


class WebhookError(DomainError):
    code = "webhook_error"


class UnsafeWebhookUrl(WebhookError):
    """The URL is not http(s), or its host resolves to an address we must not call."""

    http_status = 422
    code = "unsafe_webhook_url"

    def __init__(self, message: str):
        super().__init__(message, extra={"fields": {"url": [message]}})


class UnknownEventType(WebhookError):
    http_status = 422
    code = "unknown_event_type"


class WebhookEndpointNotFound(NotFound):
    code = "webhook_endpoint_not_found"


class WebhookDeliveryNotFound(NotFound):
    code = "webhook_delivery_not_found"


class WebhookEndpointDisabled(Conflict):
    code = "webhook_endpoint_disabled"
