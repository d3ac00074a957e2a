from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    """Owns lanes (one per downstream system, with its limits) and lane work (`LaneEntry`: every
    call to a downstream, a carrier's book, void, label or track, a WMS's wms_submit, wms_cancel,
    wms_poll, wms_snapshot or asn_announce, waits and runs as one), and the global gate in
    Redis (`gate`: rate, in-flight slots, adaptive concurrency) that every worker shares.

    Public API: `services.lane_release_all`, `lane_sweep`, `lane_track_enqueue_due` (run by
    beat), `services.lane_work_run` (the `run_lane_work` task), `services.lane_requeue` (a
    re-routed order), `services.lane_entry_hold/_unhold` and `services.lane_entry_retry` (operations),
    `services.lane_entry_withdraw_for_reroute` (shipping), `selectors.lane_entry_for_order`,
    `selectors.lane_figures` and `selectors.lane_work_stuck` (the back office). Subscribes to `orders.order.accepted`,
    `orders.order.cancelled`, `distribution.order.{booked,booking_failed,cancelled,
    retry_requested,void_requested,label_requested}`, `fulfillment.leg.planned`,
    `warehouse.order.changed` (allocated: submit; cancel_requested: cancel), `warehouse.asn.created`
    and its own `scheduling.work.released`; when booking failed
    for good it asks for a new route with `scheduling.order.reroute_requested` (shipping chooses it).
    """

    name = "apps.scheduling"
    label = "scheduling"

    def ready(self) -> None:
        from apps.scheduling import handlers  # noqa: F401
