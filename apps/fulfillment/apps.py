from django.apps import AppConfig


class FulfillmentConfig(AppConfig):
    """Owns fulfilment plans (`FulfillmentOrder` and its legs: a carrier leg; a warehouse leg then a
    carrier leg; or first mile, line haul container and last mile), line haul containers
    (`Consolidation`), and the steps that undo a leg (`PlanStep`); turns leg events into order
    progress.

    Public API: `services.fulfillment_start`, `services.consolidation_depart`,
    `services.consolidation_arrive`, `services.consolidations_close_due` and
    `services.fulfillment_steps_retry` (beat), `selectors.fulfillment_for_order`,
    `selectors.fulfillment_leg_is_last_mile`,
    `selectors.order_timeline` (the order's states and carrier events, merged and sorted once for
    the portal, the ERP API and the buyer), `selectors.buyer_tracking` (with the shop, the
    last-mile carrier's number and the estimated delivery), `timeline_words.merchant_timeline` and
    `timeline_words.buyer_timeline` (the timeline as people read it, translated).
    Subscribes to `distribution.order.*`, `warehouse.order.changed` and `orders.order.cancelled`; publishes
    `fulfillment.leg.planned` (a last mile to book).
    """

    name = "apps.fulfillment"
    label = "fulfillment"

    def ready(self) -> None:
        from apps.fulfillment import handlers  # noqa: F401
