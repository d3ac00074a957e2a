"""Reads of the scheduling center."""

from apps.scheduling.models import LaneEntry


def lane_entry_for_order(*, order_id: int) -> LaneEntry | None:
    return LaneEntry.objects.select_related("lane").filter(order_id=order_id).order_by("-id").first()
