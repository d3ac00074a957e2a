"""The one place where an order's internal timeline becomes sentences people read.

`order_timeline` (selectors) is the record: every state the order reached with who moved it and
why (`user:2`, `system:scheduling`, `queued on lane carrier:euro-post`), every carrier event,
every warehouse stage. Merchants and buyers read this instead: translated headlines in the
reader's language (the active one, `gettext_lazy`), no internal actor, lane or system names, and
each step once. The carrier's own words are kept as a detail (they are the carrier's, not ours,
so they are not translated).

Each step once: when a carrier reports a milestone, the order follows it with a state change of
its own (picked up -> handed to carrier, delivered -> delivered), recorded when the news arrived.
Both say the same thing, so the state change that a carrier event explains is left out; the
carrier's event, with its time, place and words, stands for the step. Identical neighbours (a
carrier repeating an event) are shown once.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from apps.fulfillment.types import OrderTimelineEntry, TimelineKind

Text = str | Promise


@dataclass(frozen=True)
class TimelineLine:
    """One line of the timeline a person reads. `who` is for the merchant only (empty for the buyer)."""

    occurred_at: datetime
    headline: Text
    detail: Text = ""
    location: str = ""
    who: Text = ""


# The order's own states, as the merchant reads them.
MERCHANT_STATE = {
    "accepted": _("Order accepted"),
    "scheduled": _("Waiting for the carrier's booking"),
    "in_fulfillment": _("Being prepared for the carrier"),
    "handed_over": _("Handed to the carrier"),
    "in_transit": _("In transit"),
    "customs_hold": _("Held in customs"),
    "out_for_delivery": _("Out for delivery"),
    "delivery_failed": _("Delivery attempt failed"),
    "delivered": _("Delivered"),
    "returned": _("Returned to the sender"),
    "exception": _("Needs your attention"),
    "cancelled": _("Cancelled"),
}
# As the buyer reads them; a state missing here is internal and not shown to the buyer.
BUYER_STATE = {
    "accepted": _("The shop has announced your parcel"),
    "handed_over": _("Handed to the carrier"),
    "in_transit": _("In transit"),
    "customs_hold": _("Held in customs"),
    "out_for_delivery": _("Out for delivery"),
    "delivery_failed": _("Delivery attempt failed"),
    "delivered": _("Delivered"),
    "returned": _("Returned to the sender"),
    "exception": _("Delayed: the shop is looking into it"),
    "cancelled": _("Cancelled"),
}
# A carrier's milestone, as anyone reads it.
MILESTONE = {
    "info_received": _("The carrier has the parcel's details"),
    "picked_up": _("Picked up by the carrier"),
    "in_transit": _("In transit"),
    "customs_hold": _("Held in customs"),
    "out_for_delivery": _("Out for delivery"),
    "delivery_failed": _("Delivery attempt failed"),
    "delivered": _("Delivered"),
    "returned": _("Returned to the sender"),
    "exception": _("The carrier reports a problem"),
}
# The first mile of a line haul ends at the origin hub, not at the buyer's door.
FIRST_MILE_MILESTONE = {
    "out_for_delivery": _("On its way to the consolidation hub"),
    "delivered": _("Arrived at the consolidation hub"),
}
LAST_MILE_INFO = _("Handed to the delivery carrier in the destination country")
# The order state a carrier milestone moves the order to (the step both tell).
STATE_OF_MILESTONE = {
    "picked_up": "handed_over",
    "in_transit": "in_transit",
    "customs_hold": "customs_hold",
    "out_for_delivery": "out_for_delivery",
    "delivery_failed": "delivery_failed",
    "delivered": "delivered",
    "returned": "returned",
    "exception": "exception",
}
# Stages of a warehouse order shipping from the merchant's stock.
MERCHANT_WAREHOUSE = {
    "draft": _("Warehouse order drafted"),
    "allocated": _("Stock reserved at the warehouse"),
    "backordered": _("Waiting for stock at the warehouse"),
    "on_hold": _("Held at the warehouse"),
    "submitted": _("Sent to the warehouse"),
    "accepted": _("The warehouse accepted the order"),
    "picking": _("Being picked at the warehouse"),
    "packed": _("Packed at the warehouse"),
    "partially_shipped": _("Partly shipped from the warehouse"),
    "shipped": _("Left the warehouse"),
    "cancel_requested": _("Cancel asked of the warehouse"),
    "cancelled": _("Cancelled at the warehouse"),
    "rejected": _("The warehouse refused the order"),
    "incomplete": _("The warehouse shipped it short"),
}
BUYER_WAREHOUSE = {
    "picking": _("Being picked at the warehouse"),
    "packed": _("Packed"),
    "partially_shipped": _("Partly left the warehouse"),
    "shipped": _("Left the warehouse"),
}
# Reasons worth a merchant's reading: what a person typed or what went wrong. Routine ones
# ("received via portal", "queued on lane ...", "released to fulfilment") are not shown.
REASON_SHOWN = frozenset({"exception", "cancelled", "returned"})
CHANNEL = {
    "portal": _("in the portal"),
    "api": _("through the API"),
    "api_bulk": _("through the API, in a batch"),
    "import": _("from a spreadsheet import"),
}
REROUTED = _("Moved to another carrier")


def who(actor: str) -> Text:
    """Who moved the order, in the merchant's words; "" for the platform's own automatic steps."""
    kind, _sep, _rest = actor.partition(":")
    if kind == "user" or kind == "merchant":
        return pgettext_lazy("who", "you")
    if kind == "api-key":
        return pgettext_lazy("who", "your system, through the API")
    if kind in ("staff", "ops"):
        return pgettext_lazy("who", "our operations team")
    if kind == "wms":
        return pgettext_lazy("who", "the warehouse")
    if actor.startswith("carrier "):
        return pgettext_lazy("who", "the carrier")
    return ""


def _is_reroute(entry: OrderTimelineEntry) -> bool:
    return entry.state == "scheduled" and "re-routed" in entry.reason


def _accepted_detail(reason: str) -> Text:
    channel = reason.removeprefix("received via ").strip()
    return CHANNEL.get(channel, "")


def _without_repeats(lines: Iterable[TimelineLine]) -> tuple[TimelineLine, ...]:
    kept: list[TimelineLine] = []
    for line in lines:
        said = (str(line.headline), str(line.detail), line.location)
        if kept and (str(kept[-1].headline), str(kept[-1].detail), kept[-1].location) == said:
            continue
        kept.append(line)
    return tuple(kept)


def _explained_by_carrier(entries: tuple[OrderTimelineEntry, ...]) -> set[int]:
    """Indexes of the state changes that a carrier event of the same step already tells: each
    carrier event explains at most one state change, the nearest one after it (the order moves
    when the news arrives), else the nearest before it (a carrier clock running ahead)."""
    unused: dict[str, list[int]] = {}
    for index, entry in enumerate(entries):
        if entry.kind is TimelineKind.TRACKING and entry.leg_role != "first_mile":
            state = STATE_OF_MILESTONE.get(entry.milestone)
            if state:
                unused.setdefault(state, []).append(index)
    explained = set()
    for index, entry in enumerate(entries):
        if entry.kind is not TimelineKind.STATE_CHANGED or not unused.get(entry.state):
            continue
        candidates = unused[entry.state]
        before = [i for i in candidates if i < index]
        chosen = before[-1] if before else candidates[0]
        candidates.remove(chosen)
        explained.add(index)
    return explained


def _tracking_headline(entry: OrderTimelineEntry) -> Text:
    if entry.leg_role == "first_mile" and entry.milestone in FIRST_MILE_MILESTONE:
        return FIRST_MILE_MILESTONE[entry.milestone]
    if entry.leg_role == "last_mile" and entry.milestone == "info_received":
        return LAST_MILE_INFO
    return MILESTONE.get(entry.milestone, entry.title)


def _carrier_words(entry: OrderTimelineEntry, headline: Text) -> str:
    words = entry.carrier_words.strip()
    return "" if not words or words.casefold() == str(headline).casefold() else words


def merchant_timeline(entries: tuple[OrderTimelineEntry, ...]) -> tuple[TimelineLine, ...]:
    """The order's timeline as its merchant reads it."""
    explained = _explained_by_carrier(entries)
    lines = []
    for index, entry in enumerate(entries):
        if index in explained:
            continue
        if entry.kind is TimelineKind.TRACKING:
            headline = _tracking_headline(entry)
            lines.append(
                TimelineLine(
                    entry.occurred_at, headline, _carrier_words(entry, headline), entry.location, who(entry.actor)
                )
            )
        elif entry.kind is TimelineKind.WAREHOUSE:
            headline = MERCHANT_WAREHOUSE.get(entry.state, entry.title)
            detail = entry.reason if entry.state in ("rejected", "cancelled", "incomplete", "on_hold") else ""
            lines.append(TimelineLine(entry.occurred_at, headline, detail, entry.location, who(entry.actor)))
        elif _is_reroute(entry):
            lines.append(TimelineLine(entry.occurred_at, REROUTED, "", "", who(entry.actor)))
        else:
            headline = MERCHANT_STATE.get(entry.state, entry.title)
            if entry.state == "accepted":
                detail = _accepted_detail(entry.reason)
            elif entry.state in REASON_SHOWN and entry.reason != "cancelled by merchant":
                detail = entry.reason
            else:
                detail = ""
            lines.append(TimelineLine(entry.occurred_at, headline, detail, "", who(entry.actor)))
    return _without_repeats(lines)


def buyer_timeline(entries: tuple[OrderTimelineEntry, ...]) -> tuple[TimelineLine, ...]:
    """The order's timeline as the buyer reads it: no who, no reasons, no internal steps."""
    explained = _explained_by_carrier(entries)
    lines = []
    for index, entry in enumerate(entries):
        if index in explained:
            continue
        if entry.kind is TimelineKind.TRACKING:
            headline = _tracking_headline(entry)
            lines.append(TimelineLine(entry.occurred_at, headline, _carrier_words(entry, headline), entry.location))
        elif entry.kind is TimelineKind.WAREHOUSE:
            if entry.state in BUYER_WAREHOUSE:
                lines.append(TimelineLine(entry.occurred_at, BUYER_WAREHOUSE[entry.state]))
        elif entry.state in BUYER_STATE and not _is_reroute(entry):
            lines.append(TimelineLine(entry.occurred_at, BUYER_STATE[entry.state]))
    return _without_repeats(lines)
