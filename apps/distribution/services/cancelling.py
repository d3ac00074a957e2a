"""Cancelling a delivery, and voiding its shipment at the carrier."""

from django.db import transaction

from apps.common.fsm import TransitionNotAllowed
from apps.distribution.exceptions import DistributionNotCancellable
from apps.distribution.health import guarded_call
from apps.distribution.models import DistributionOrder
from apps.distribution.services.shared import S, carrier_gateway, locked, take_and_announce


def distribution_order_cancel(*, distribution_order_id: int, actor: str, reason: str) -> DistributionOrder:
    """Cancel a delivery the carrier has not collected; its `cancelled` event voids it at the carrier."""
    with transaction.atomic():
        distribution_order = locked(distribution_order_id)
        if distribution_order.state in (S.CANCELLED, S.BOOKING_FAILED):
            return distribution_order
        try:
            take_and_announce(distribution_order, "cancel", actor=actor, reason=reason)
        except TransitionNotAllowed as exc:
            raise DistributionNotCancellable(
                f"The carrier already has the parcel ({distribution_order.state}); it cannot be cancelled.",
                extra={"distribution_order_id": distribution_order.pk, "state": distribution_order.state},
            ) from exc
        distribution_order.next_poll_at = None
        distribution_order.save(update_fields=["next_poll_at", "updated_at"])
    return distribution_order


def distribution_order_void_at_carrier(*, distribution_order_id: int) -> None:
    """Void the carrier's shipment (and label) of a cancelled delivery; harmless to repeat.

    Called only from the carrier's lane (scheduling); raises CarrierTransientError (CircuitOpen
    included) for the lane to try again, CarrierPermanentError when the carrier refuses."""
    distribution_order = DistributionOrder.objects.get(pk=distribution_order_id)
    if distribution_order.state != S.CANCELLED or not distribution_order.tracking_number:
        return
    gateway = carrier_gateway(distribution_order.carrier_code, distribution_order_id=distribution_order.pk)
    guarded_call(distribution_order.carrier_code, gateway.cancel, distribution_order.tracking_number)
