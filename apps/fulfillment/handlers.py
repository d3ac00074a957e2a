"""Fulfilment follows its distribution legs."""

from apps.common import outbox
from apps.fulfillment.services import fulfillment_distribution_leg_changed


def _leg_changed(event: outbox.Event) -> None:
    payload = event.payload
    fulfillment_distribution_leg_changed(
        distribution_order_id=payload["distribution_order_id"],
        state=payload["state"],
        carrier_code=payload["carrier_code"],
        tracking_number=payload["tracking_number"],
        reason=payload.get("reason", ""),
    )


for _state in ("booked", "picked_up", "in_transit", "out_for_delivery", "delivered", "booking_failed", "exception"):
    outbox.on(f"distribution.order.{_state}")(_leg_changed)
