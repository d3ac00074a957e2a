from django.apps import AppConfig


class ResourcesConfig(AppConfig):
    """Owns carriers (gateway kind, endpoint, credentials, status, limits), their services with
    coverage and prices, line hauls (a service's first mile, container and last mile carrier), and
    warehouses.

    Public API: `selectors.route_options` (every option for a shipment, direct or from a
    warehouse, ranked by a strategy, with the exclusions and why), `selectors.merchant_preferences`,
    `selectors.shipment_profile_build`, `selectors.carrier_get`, `selectors.carrier_list`,
    `selectors.line_haul_for_service`, `selectors.line_haul_get`; types in
    `types`. Subscribes to `orders.order.accepted`/`rerouted` (daily capacity used, delivery
    promises) and `distribution.order.delivered` (on-time record). See docs/routing.md.
    """

    name = "apps.resources"
    label = "resources"

    def ready(self) -> None:
        from apps.resources import handlers  # noqa: F401
