from django.apps import AppConfig


class FulfillmentConfig(AppConfig):
    """Owns fulfilment orders and their legs; turns leg events into order progress.

    Public API: `services.fulfillment_start`, `selectors.fulfillment_for_order`,
    `selectors.order_timeline` (the order's states and carrier events, merged and sorted once for
    the portal, the ERP API and the buyer), `selectors.buyer_tracking`.
    Subscribes to `distribution.order.*`.
    """

    name = "apps.fulfillment"
    label = "fulfillment"

    def ready(self) -> None:
        from apps.fulfillment import handlers  # noqa: F401
