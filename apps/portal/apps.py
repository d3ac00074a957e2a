from django.apps import AppConfig


class PortalConfig(AppConfig):
    """Owns the merchant portal's pages (login, order form, order list, order page with its
    timeline). Views are thin: they call the shipping center to submit and the centers'
    selectors to read; a user only ever sees their own merchant's orders."""

    name = "apps.portal"
    label = "portal"
