"""Outbox records of the scheduling center."""

from apps.common import outbox

ORDER_REROUTE_REQUESTED = "scheduling.order.reroute_requested"
WORK_RELEASED = "scheduling.work.released"


def order_reroute_requested(*, order_id: int, merchant_id: int, reason: str, actor: str) -> None:
    """Record `scheduling.order.reroute_requested`: the order's booking failed for good and it
    needs a new route (the shipping center chooses it)."""
    outbox.record(
        event_type=ORDER_REROUTE_REQUESTED,
        aggregate_type="order",
        aggregate_id=order_id,
        merchant_id=merchant_id,
        payload={"order_id": str(order_id), "reason": reason},
        actor=actor,
    )


def work_released(*, entry, lane_key: str) -> None:
    """Record `scheduling.work.released`: the nudge that runs released lane work (`run_lane_work`)."""
    outbox.record(
        event_type=WORK_RELEASED,
        aggregate_type="lane_entry",
        aggregate_id=entry.pk,
        merchant_id=entry.merchant_id or None,
        payload={
            "work_id": entry.pk,
            "version": entry.version,
            "kind": entry.kind,
            "lane": lane_key,
            "order_id": str(entry.order_id) if entry.order_id else None,
        },
        actor="system:scheduling",
        request_id=entry.request_id,
    )
