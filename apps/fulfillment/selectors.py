"""Reads of the fulfilment center."""

from apps.fulfillment.models import FulfillmentOrder


def fulfillment_for_order(*, order_id: int) -> FulfillmentOrder | None:
    return FulfillmentOrder.objects.filter(order_id=order_id).prefetch_related("legs").first()
