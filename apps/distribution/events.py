"""Outbox records of the distribution center: `distribution.order.<new state>`."""

from apps.common import outbox
from apps.distribution.models import DistributionOrder


def distribution_event(
    distribution_order: DistributionOrder, *, actor: str, reason: str = "", event_type: str = ""
) -> None:
    """Record `distribution.order.<new state>`, or the given event type."""
    outbox.record(
        event_type=event_type or f"distribution.order.{distribution_order.state}",
        aggregate_type="distribution_order",
        aggregate_id=distribution_order.pk,
        merchant_id=distribution_order.merchant_id,
        payload={
            "distribution_order_id": distribution_order.pk,
            "order_id": str(distribution_order.order_id),
            "carrier_code": distribution_order.carrier_code,
            "service_code": distribution_order.service_code,
            "tracking_number": distribution_order.tracking_number,
            "state": distribution_order.state,
            "version": distribution_order.version,
            "reason": reason,
        },
        actor=actor,
    )
