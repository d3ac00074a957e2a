"""The fulfilment center's read types: the lines of an order's timeline."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class TimelineKind(StrEnum):
    STATE_CHANGED = "state_changed"
    WAREHOUSE = "warehouse"
    TRACKING = "tracking"


# At the same instant, the order's own step comes before the warehouse's, then the carrier's news.
_KIND_RANK = {TimelineKind.STATE_CHANGED: 0, TimelineKind.WAREHOUSE: 1, TimelineKind.TRACKING: 2}


@dataclass(frozen=True)
class OrderTimelineEntry:
    """One line of an order's timeline: a state the order reached, a stage of its warehouse order
    (`state` is the warehouse order's), or a carrier tracking event.

    `actor` and `reason` are internal (who moved the order and why): for the merchant and the
    ERP, never for the buyer.
    """

    occurred_at: datetime
    kind: TimelineKind
    title: str  # the state's label, or the carrier's description (else its milestone's label)
    row_id: int  # of the transition or tracking event: the last tie-break
    state: str = ""
    previous_state: str = ""
    milestone: str = ""
    carrier_status: str = ""
    location: str = ""
    actor: str = ""
    reason: str = ""
    carrier_words: str = ""  # a tracking event's description as the carrier wrote it ("" if none)
    leg_role: str = ""  # of the delivery a tracking event is from (first_mile, last_mile, carrier)

    @property
    def sort_key(self) -> tuple[datetime, int, int]:
        return (self.occurred_at, _KIND_RANK[self.kind], self.row_id)
