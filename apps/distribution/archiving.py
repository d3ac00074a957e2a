"""The distribution center's part of archiving: its rows for archived orders become documents."""

from django.db import transaction

from apps.common.archive import Children, archive_aggregates, archived_documents, instance_from_row
from apps.distribution.models import CarrierCall, DistributionOrder, DistributionTransition, TrackingEvent

KIND = "distribution_order"


def distribution_archive_for_orders(*, order_ids: list[int]) -> int:
    """Move the distribution orders of these (archived) orders, with their history, tracking
    events and carrier calls, into the archive."""
    with transaction.atomic():
        return archive_aggregates(
            kind=KIND,
            root=DistributionOrder,
            children=[
                Children("history", DistributionTransition, "distribution_order_id"),
                Children("tracking_events", TrackingEvent, "distribution_order_id"),
                Children("carrier_calls", CarrierCall, "distribution_order_id"),
            ],
            order_ids=order_ids,
        )


def archived_tracking_events(*, order_id: int) -> list[TrackingEvent]:
    events = [
        instance_from_row(TrackingEvent, row)
        for document in archived_documents(kind=KIND, order_id=order_id)
        for row in document["tracking_events"]
    ]
    return sorted(events, key=lambda e: (e.occurred_at, e.id))
