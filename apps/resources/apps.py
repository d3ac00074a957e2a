from django.apps import AppConfig


class ResourcesConfig(AppConfig):
    """Owns carriers (gateway kind, endpoint, credentials, status, limits), their services with
    coverage and prices, and warehouses.

    Public API: `selectors.route_options` (every option for a shipment, ranked, with the
    exclusions and why), `selectors.carrier_get`, `selectors.carrier_list`.
    """

    name = "apps.resources"
    label = "resources"
