"""Reads of the distribution center."""

from django.db.models import QuerySet

from apps.distribution.health import CircuitStatus, circuit_status
from apps.distribution.models import DistributionOrder, TrackingEvent


def distribution_order_get(*, distribution_order_id: int) -> DistributionOrder:
    return DistributionOrder.objects.get(pk=distribution_order_id)


def distribution_orders_for_order(*, order_id: int) -> QuerySet[DistributionOrder]:
    return DistributionOrder.objects.filter(order_id=order_id).order_by("id")


def tracking_events_for_order(*, order_id: int) -> QuerySet[TrackingEvent]:
    return TrackingEvent.objects.filter(order_id=order_id).order_by("occurred_at", "id")


def carrier_circuit(*, carrier_code: str) -> CircuitStatus:
    """Whether the carrier is taking calls: `state` is closed, open or half-open."""
    return circuit_status(carrier_code)
