"""Reads of the scheduling center."""

from apps.scheduling.models import LaneEntry, WorkKind


def lane_entry_for_order(*, order_id: int) -> LaneEntry | None:
    """The order's latest booking work (its place on a carrier's lane)."""
    return (
        LaneEntry.objects.select_related("lane").filter(order_id=order_id, kind=WorkKind.BOOK).order_by("-id").first()
    )
