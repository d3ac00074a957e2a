"""Outbox records of the distribution center (`distribution.order.<new state>`), and their type
names: subscribers name a distribution event by the constants and `distribution_state_event` below."""

from apps.common import outbox
from apps.distribution.models import DistributionOrder, DistributionState


def distribution_state_event(state: str) -> str:
    """`distribution.order.<state>`: the distribution order reached `state`, one of `DistributionState`."""
    return f"distribution.order.{state}"


DISTRIBUTION_ORDER_CREATED = distribution_state_event(DistributionState.CREATED)
DISTRIBUTION_ORDER_BOOKED = distribution_state_event(DistributionState.BOOKED)
DISTRIBUTION_ORDER_BOOKING_FAILED = distribution_state_event(DistributionState.BOOKING_FAILED)
DISTRIBUTION_ORDER_DELIVERED = distribution_state_event(DistributionState.DELIVERED)
DISTRIBUTION_ORDER_CANCELLED = distribution_state_event(DistributionState.CANCELLED)
# Operations asked to book again (admin action); the state does not change.
DISTRIBUTION_ORDER_RETRY_REQUESTED = "distribution.order.retry_requested"
# The carrier booked a delivery that was cancelled meanwhile: its shipment must be voided.
DISTRIBUTION_ORDER_VOID_REQUESTED = "distribution.order.void_requested"
# The carrier's label is to be fetched (its booking answer had none, or operations asked again).
DISTRIBUTION_ORDER_LABEL_REQUESTED = "distribution.order.label_requested"


def distribution_event(
    distribution_order: DistributionOrder, *, actor: str, reason: str = "", event_type: str = ""
) -> None:
    """Record `distribution.order.<new state>`, or the given event type."""
    outbox.record(
        event_type=event_type or distribution_state_event(distribution_order.state),
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
