from django.apps import AppConfig


class DistributionConfig(AppConfig):
    """Owns distribution orders and their state machine, the carrier gateways (one adapter per
    gateway kind), booking with an idempotency key, labels and tracking events.

    Public API: `services.distribution_order_create`, `selectors.distribution_orders_for_order`,
    `selectors.tracking_events_for_order`, `selectors.carrier_health_report` and
    `selectors.distribution_orders_stuck_groups` (the back office). Events: `distribution.order.*`.
    """

    name = "apps.distribution"
    label = "distribution"

    def ready(self) -> None:
        from apps.distribution import handlers  # noqa: F401
