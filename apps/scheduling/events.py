"""Outbox records of the scheduling center."""

from apps.common import outbox

ORDER_REROUTE_REQUESTED = "scheduling.order.reroute_requested"


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
