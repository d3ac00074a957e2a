from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    """Owns merchants' webhook endpoints, the deliveries of order events to them, and each attempt.

    Subscribes to `orders.order.<what>` and `warehouse.order.changed` (the types in
    `catalog.EVENT_TYPES`) and fans each event
    out to the merchant's enabled endpoints that want it; a beat-driven sweeper
    (`tasks.send_due_deliveries`) sends due deliveries, signed in the Standard Webhooks way, and
    retries failures with backoff for at least 24 hours.

    Public API: `services.endpoint_create/_update/_delete/_rotate_secret`, `services.delivery_redeliver`,
    `selectors.endpoint_list/_get`, `selectors.delivery_list/_get`, `selectors.deliveries_stuck` (the
    back office), `signing.verify` (for receivers),
    `catalog.EVENT_TYPES`.
    """

    name = "apps.webhooks"
    label = "webhooks"

    def ready(self) -> None:
        from apps.webhooks import handlers  # noqa: F401
