"""Outbox records of the fulfilment center, and their type names."""

from apps.common import outbox

# A plan added a delivery leg that must be booked (a last mile after its container arrived).
FULFILLMENT_LEG_PLANNED = "fulfillment.leg.planned"


def leg_planned(*, fulfillment, distribution_order, actor: str) -> None:
    outbox.record(
        event_type=FULFILLMENT_LEG_PLANNED,
        aggregate_type="fulfillment_order",
        aggregate_id=fulfillment.pk,
        merchant_id=fulfillment.merchant_id,
        payload={
            "order_id": str(fulfillment.order_id),
            "distribution_order_id": distribution_order.pk,
            "carrier_code": distribution_order.carrier_code,
        },
        actor=actor,
    )
