"""The scheduling center's part of archiving: an archived order's lane entries and their history."""

from django.db import transaction

from apps.common.archive import Children, archive_aggregates
from apps.scheduling.models import LaneEntry, LaneEntryTransition


def scheduling_archive_for_orders(*, order_ids: list[int]) -> int:
    with transaction.atomic():
        return archive_aggregates(
            kind="lane_entry",
            root=LaneEntry,
            children=[Children("history", LaneEntryTransition, "lane_entry_id")],
            order_ids=order_ids,
        )
