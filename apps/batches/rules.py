"""What a batch does with an order (docs/printing.md): one pure function, for the batch and its preview."""

from django.utils.translation import gettext

from apps.batches.models import BatchOrder

WAITING_STATES = frozenset({"accepted", "scheduled", "in_fulfillment"})
A = BatchOrder.Action


def decide(order, *, labelled: bool, chosen_route: tuple[str, str] | None) -> tuple[str, str, bool]:
    """(action, note, re-route first) for one order of a new batch."""
    if order is None:
        return A.SKIP, gettext("No such order."), False
    current = (order.carrier_code, order.service_code)
    if labelled:
        note = (
            gettext("Labelled already with %(route)s.") % {"route": f"{current[0]}/{current[1]}"}
            if chosen_route and chosen_route != current
            else ""
        )
        return A.REPRINT, note, False
    if order.state in WAITING_STATES:
        return A.BUY, "", bool(chosen_route) and chosen_route != current
    if order.state == "exception":
        return A.BUY, gettext("Booking again."), True
    return A.SKIP, gettext("The order is “%(state)s”.") % {"state": order.get_state_display()}, False
