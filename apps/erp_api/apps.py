from django.apps import AppConfig


class ErpApiConfig(AppConfig):
    """Owns the ERP API: API-key authentication, scopes, one error format, and the views that
    hand requests to the shipping and order centers. No business logic lives here."""

    name = "apps.erp_api"
    label = "erp_api"
