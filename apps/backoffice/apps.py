from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    """Owns the operations back-office pages that span every center: the *Orders* admin (search,
    filters, the order's history, route, legs, distribution orders, carrier calls and webhooks, and
    the staff actions on it, each recorded with the staff member). It sits beside the portal and
    the ERP API at the top of the layers and reads the centers through their selectors
    (`selectors.order_operations`); its actions call the centers' services.
    """

    name = "apps.backoffice"
    label = "backoffice"
