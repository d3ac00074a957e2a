from django.apps import AppConfig


class ShippingConfig(AppConfig):
    """Owns intake: checks an order as a cross-border shipper needs it checked, quotes it,
    chooses its route and records it through the order center. Owns every routing decision: it
    also chooses the next route of an order whose booking failed for good.

    Public API: `services.order_submit`, `services.order_reroute_by_operations` (staff move an
    order to another carrier), `selectors.order_quote`; `addresses.address_check` (one country's
    address rules, for every channel); `saved` (the merchant's sender addresses and product
    catalogue, which fill the order form); errors in `exceptions`.
    Subscribes to `scheduling.order.reroute_requested` (re-routes through
    `services.order_reroute_after_failed_booking`, back on a lane through scheduling).
    """

    name = "apps.shipping"
    label = "shipping"

    def ready(self) -> None:
        from apps.shipping import handlers  # noqa: F401
