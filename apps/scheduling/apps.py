from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    """Owns lanes (one per downstream system, with its rate and concurrency limits) and lane
    entries (an order's place in a lane).

    Public API: `services.lane_release_all` (run by beat), `services.lane_requeue` (a re-routed
    order), `selectors.lane_entry_for_order`. Subscribes to `orders.order.accepted` and the end of
    booking in `distribution.order.*`; when booking failed for good it asks for a new route with
    `scheduling.order.reroute_requested` (shipping chooses it).
    """

    name = "apps.scheduling"
    label = "scheduling"

    def ready(self) -> None:
        from apps.scheduling import handlers  # noqa: F401
