"""The carrier's own label of a booked delivery, fetched again through the carrier's lane."""

from django.db import transaction

from apps.distribution import events
from apps.distribution.health import guarded_call
from apps.distribution.models import DistributionOrder
from apps.distribution.services.shared import S, carrier_gateway, locked

# A label can be fetched while the carrier knows the shipment: from booking until it is delivered.
_LABELLED = frozenset({S.BOOKED, S.PICKED_UP, S.IN_TRANSIT, S.CUSTOMS_HOLD, S.OUT_FOR_DELIVERY, S.DELIVERY_FAILED})


def distribution_order_request_label(*, distribution_order_id: int, actor: str, reason: str) -> bool:
    """Ask for the carrier's label again (`distribution.order.label_requested`: scheduling queues
    the call on the carrier's lane). False when the carrier has no label to give (not booked yet,
    or the delivery ended)."""
    with transaction.atomic():
        distribution_order = locked(distribution_order_id)
        if distribution_order.state not in _LABELLED or not distribution_order.tracking_number:
            return False
        events.distribution_event(
            distribution_order, actor=actor, reason=reason, event_type=events.DISTRIBUTION_ORDER_LABEL_REQUESTED
        )
    return True


def distribution_order_fetch_label(*, distribution_order_id: int) -> None:
    """Fetch and keep the carrier's label; harmless to repeat. Called only from the carrier's
    lane; raises CarrierTransientError (CircuitOpen included) for the lane to try again."""
    distribution_order = DistributionOrder.objects.get(pk=distribution_order_id)
    if distribution_order.state not in _LABELLED or not distribution_order.tracking_number:
        return
    gateway = carrier_gateway(distribution_order.carrier_code, distribution_order_id=distribution_order.pk)
    label = guarded_call(distribution_order.carrier_code, gateway.label, distribution_order.tracking_number)
    DistributionOrder.objects.filter(pk=distribution_order_id).update(carrier_label_pdf=label)
