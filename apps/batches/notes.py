"""Why a batch did what it did with an order, in plain words in the reader's language.

A batch row keeps a reason code and its values (`BatchOrder.reason`, `reason_args`), not a
sentence: the worker that moves orders runs in no one's language, and the page is read in English
or Chinese. The shipping center's refusals are English sentences for operations; each kind the
batch meets (by its error code) has a sentence here, and the English one stays in the row's note.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

NO_ORDER = "no_order"
CLOSED = "closed"  # {"state": the order's state}
LABELLED_WITH = "labelled_with"  # {"service": "carrier/service"}
MOVING = "moving"  # {"service": ...}: a move to the batch's service, waiting for the worker
BOOKING_AGAIN = "booking_again"  # a flagged order, to the best other carrier, waiting for the worker
MOVED = "moved"  # {"from": ...}
NOT_MOVED = "not_moved"  # {"why": a refusal code, "kept": the service it keeps, or absent}

NOT_ON_A_LANE = "not_on_a_lane"  # a refusal of ours: the order never reached its lane

# What the shipping center's refusal of a move means for the merchant, by its error code.
REFUSALS = {
    NOT_ON_A_LANE: gettext_lazy("it did not reach a carrier's lane in time"),
    "route_not_eligible": gettext_lazy("the chosen service cannot take this order"),
    "no_route": gettext_lazy("no other carrier can take this order"),
    "work_not_waiting": gettext_lazy("its carrier was already booking it"),
    "order_not_reroutable": gettext_lazy("a carrier has the parcel already"),
    "not_cancellable": gettext_lazy("its first booking could not be cancelled"),
}


def reason_text(code: str, args: dict, *, state_label=None) -> str:
    """The sentence for a reason; `state_label(state)` names an order state in the reader's language."""
    if code == NO_ORDER:
        return _("No such order.")
    if code == CLOSED:
        state = args.get("state", "")
        return _("Not bought: the order is %(state)s.") % {
            "state": (state_label(state) if state_label else state).lower()
        }
    if code == LABELLED_WITH:
        return _("Labelled already with %(service)s.") % {"service": args.get("service", "")}
    if code == MOVING:
        return _("Moving to %(service)s before its label is bought.") % {"service": args.get("service", "")}
    if code == BOOKING_AGAIN:
        return _("Booking again with another carrier.")
    if code == MOVED:
        return _("Moved from %(service)s.") % {"service": args.get("from", "")}
    if code == NOT_MOVED:
        why = REFUSALS.get(args.get("why", ""), gettext_lazy("the move was refused"))
        if args.get("kept"):
            return _("Not moved (%(why)s): keeps %(service)s.") % {"why": why, "service": args["kept"]}
        return _("Not booked again: %(why)s.") % {"why": why}
    return ""
