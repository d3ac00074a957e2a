from django.apps import AppConfig


class ShippingConfig(AppConfig):
    """Owns intake: checks an order as a cross-border shipper needs it checked, quotes it,
    chooses its route and records it through the order center.

    Public API: `services.order_submit`, `selectors.order_quote`; errors in `exceptions`.
    """

    name = "apps.shipping"
    label = "shipping"
