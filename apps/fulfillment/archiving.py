"""The fulfilment center's part of archiving: an archived order's fulfilment order and legs."""

from django.db import transaction

from apps.common.archive import Children, archive_aggregates
from apps.fulfillment.models import FulfillmentLeg, FulfillmentOrder, FulfillmentTransition


def fulfillment_archive_for_orders(*, order_ids: list[int]) -> int:
    with transaction.atomic():
        return archive_aggregates(
            kind="fulfillment_order",
            root=FulfillmentOrder,
            children=[
                Children("legs", FulfillmentLeg, "fulfillment_order_id"),
                Children("history", FulfillmentTransition, "fulfillment_order_id"),
            ],
            order_ids=order_ids,
        )
