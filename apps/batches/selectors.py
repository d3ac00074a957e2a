"""Reads of label batches: a batch, its progress, the merchant's batches and the print log."""

from dataclasses import dataclass

from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _

from apps.batches import notes
from apps.batches.exceptions import BatchNotFound
from apps.batches.models import BatchOrder, LabelBatch, LabelPrint
from apps.batches.rules import decide
from apps.distribution.selectors import labelled_order_ids
from apps.orders.models import Order
from apps.orders.selectors import order_list

# An order to buy that reached one of these without a label gets none from this batch.
NO_LABEL_COMING = frozenset({"exception", "cancelled", "returned", "delivered"})
CLOSED = NO_LABEL_COMING - {"exception"}


def label_batch_list(*, merchant_id: int, limit: int = 50) -> QuerySet[LabelBatch]:
    """The merchant's latest batches with how many orders each holds (`order_count`)."""
    return (
        LabelBatch.objects.filter(merchant_id=merchant_id)
        .order_by("-id")
        .select_related("created_by")
        .annotate(order_count=Count("orders"))[:limit]
    )


def label_batch_get(*, merchant_id: int, batch_id: int) -> LabelBatch:
    batch = LabelBatch.objects.filter(merchant_id=merchant_id, pk=batch_id).select_related("created_by").first()
    if batch is None:
        raise BatchNotFound(_("Label batch %(id)s does not exist.") % {"id": batch_id})
    return batch


@dataclass(frozen=True)
class BatchLine:
    order_id: int
    order_number: str
    recipient: str
    state: str
    state_label: str
    carrier_service: str
    action: str
    action_label: str
    note: str
    labelled: bool
    status: str  # labelled, waiting, failed or skipped
    moving: bool  # to move to the batch's service first; the worker has not come to it yet


@dataclass(frozen=True)
class BatchProgress:
    lines: list[BatchLine]
    labelled: int
    waiting: int
    failed: int
    skipped: int
    moving: int  # of the waiting: to move first

    @property
    def done(self) -> bool:
        return self.waiting == 0

    @property
    def total(self) -> int:
        return len(self.lines)

    @property
    def percent(self) -> int:
        finished = self.total - self.waiting
        return round(100 * finished / self.total) if self.total else 100


def _status(row: BatchOrder, order, labelled: bool) -> str:
    if row.action == BatchOrder.Action.SKIP or order is None:
        return "skipped"
    if labelled:
        return "labelled"
    if row.reroute == BatchOrder.Reroute.PENDING and order.state not in CLOSED:
        return "waiting"  # a flagged order to book again: the worker has not come to it yet
    return "failed" if order.state in NO_LABEL_COMING else "waiting"


def _names(choices) -> dict[str, str]:
    """Choice labels in the reader's language, translated once for a whole batch (a label is
    translated again each time it is used: on 500 lines, a third of the page's time)."""
    return {value: str(label) for value, label in choices}


def _note(row: BatchOrder, order, status: str, state_name) -> str:
    """Why, in the reader's language: the row's reason, or for an order that gets no label the
    state it reached meanwhile."""
    if status == "failed" and row.reason in ("", notes.MOVED, notes.MOVING, notes.BOOKING_AGAIN):
        if order.state == "exception":
            return _("No carrier could book it; it waits for our team (see the order).")
        return _("The order became %(state)s before its label was bought.") % {"state": state_name(order.state).lower()}
    if status == "labelled" and row.reason in (notes.MOVING, notes.BOOKING_AGAIN):
        return ""
    if row.reason:
        return notes.reason_text(row.reason, row.reason_args, state_label=state_name)
    return row.note  # a batch made before reasons were codes: its English note


def label_batch_progress(*, batch: LabelBatch) -> BatchProgress:
    """Where each order of the batch is: labelled (in the PDF), waiting for its label (or for the
    worker to move it first), failed (no label coming: flagged or cancelled meanwhile, or a move
    that was refused) or skipped, each with why in plain words. Three queries whatever the size."""
    rows = list(batch.orders.order_by("position"))
    ids = [row.order_id for row in rows]
    orders = {
        o.id: o
        for o in order_list(merchant_id=batch.merchant_id)
        .filter(id__in=ids)
        .only("id", "state", "carrier_code", "service_code", "recipient_name", "recipient_country")
    }
    labelled = labelled_order_ids(order_ids=ids)
    states = _names(Order._meta.get_field("state").choices)
    actions = _names(BatchOrder.Action.choices)

    def state_name(state: str) -> str:
        return states.get(state, state)

    lines = []
    for row in rows:
        order = orders.get(row.order_id)
        status = _status(row, order, row.order_id in labelled)
        lines.append(
            BatchLine(
                order_id=row.order_id,
                order_number=order.number if order else str(row.order_id),
                recipient=f"{order.recipient_name} ({order.recipient_country})" if order else "",
                state=order.state if order else "",
                state_label=state_name(order.state) if order else "",
                carrier_service=f"{order.carrier_code}/{order.service_code}" if order else "",
                action=row.action,
                action_label=actions[row.action],
                note=_note(row, order, status, state_name),
                labelled=row.order_id in labelled,
                status=status,
                moving=row.reroute == BatchOrder.Reroute.PENDING and status == "waiting",
            )
        )
    count = {s: sum(1 for line in lines if line.status == s) for s in ("labelled", "waiting", "failed", "skipped")}
    return BatchProgress(lines=lines, moving=sum(1 for line in lines if line.moving), **count)


def print_log(*, batch: LabelBatch) -> QuerySet[LabelPrint]:
    """Every print of the batch, newest first, with who printed it."""
    return batch.prints.order_by("-printed_at", "-id").select_related("printed_by")


def label_batch_preview(*, merchant_id: int, order_ids: list[int]) -> dict[str, int]:
    """How many of `order_ids` a batch would buy, reprint and skip (with the platform's choice),
    shown before the merchant presses *Buy*. Two queries."""
    orders = {
        o.id: o
        for o in order_list(merchant_id=merchant_id)
        .filter(id__in=order_ids)
        .only("id", "state", "carrier_code", "service_code")
    }
    labelled = labelled_order_ids(order_ids=list(orders))
    counts = dict.fromkeys(BatchOrder.Action.values, 0)
    for order_id in order_ids:
        action, *_rest = decide(orders.get(order_id), labelled=order_id in labelled, chosen_route=None)
        counts[action] += 1
    return counts
