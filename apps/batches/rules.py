"""What a batch does with an order (docs/printing.md): one pure function, for the batch, its preview
and the worker that moves orders (which asks again when it comes to each one)."""

from apps.batches import notes
from apps.batches.models import BatchOrder

WAITING_STATES = frozenset({"accepted", "scheduled", "in_fulfillment"})
A = BatchOrder.Action


def decide(order, *, labelled: bool, chosen_route: tuple[str, str] | None) -> tuple[str, str, dict, bool]:
    """(action, reason code, its values, move first) for one order of a batch (`apps.batches.notes`)."""
    if order is None:
        return A.SKIP, notes.NO_ORDER, {}, False
    current = (order.carrier_code, order.service_code)
    if labelled:
        if chosen_route and chosen_route != current:
            return A.REPRINT, notes.LABELLED_WITH, {"service": "/".join(current)}, False
        return A.REPRINT, "", {}, False
    if order.state in WAITING_STATES:
        if chosen_route and chosen_route != current:
            return A.BUY, notes.MOVING, {"service": "/".join(chosen_route)}, True
        return A.BUY, "", {}, False
    if order.state == "exception":
        if chosen_route:
            return A.BUY, notes.MOVING, {"service": "/".join(chosen_route)}, True
        return A.BUY, notes.BOOKING_AGAIN, {}, True
    return A.SKIP, notes.CLOSED, {"state": order.state}, False
