"""Writes of label batches: a batch and what it does with each order; the print log.

What a batch does with an order (docs/printing.md): the platform buys an order's label as soon as
it is accepted (intake, then the carrier's lane), so a batch buys what is still to buy and prints
what is bought:

- labelled already: **reprint**, free, into the batch's PDF (a service chosen for the batch does
  not void a bought label);
- waiting for its label (accepted, scheduled, in fulfilment): **buy**; with a service chosen for
  the batch other than the order's, the order is re-routed to it first (shipping's
  `order_reroute_by_operations`, which takes its booking off the lane and puts it on the new
  carrier's); with "let the platform choose", it keeps the route routing gave it;
- flagged for a person (`exception`: every carrier refused it, or none could take it): **buy**
  again, re-routed to the chosen service or to the best other carrier;
- cancelled, delivered, returned, or not the merchant's: **skip**, with the reason.

A batch is made once per form (`idempotency_key`, unique per merchant): a second post of the same
form, a double click, finds the first batch and buys nothing more.
"""

import uuid

from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from apps.batches.exceptions import BatchRefused
from apps.batches.models import BatchOrder, LabelBatch, LabelPrint
from apps.batches.rules import WAITING_STATES, A, decide
from apps.common.exceptions import DomainError
from apps.distribution.selectors import labelled_order_ids
from apps.orders.selectors import order_list
from apps.shipping.services import order_reroute_by_operations

BATCH_MAX_ORDERS = 500


def label_batch_create(
    *,
    merchant_id: int,
    user,
    order_ids: list[int],
    chosen_route: tuple[str, str] | None,
    idempotency_key: uuid.UUID,
) -> tuple[LabelBatch, bool]:
    """Make a batch of `order_ids` (in that order) and buy what is to buy, with `chosen_route`
    (carrier code, service code) or the platform's choice (None). Returns (batch, created): a
    batch already made with this `idempotency_key` is returned as it is, with created False."""
    order_ids = list(dict.fromkeys(order_ids))
    if not order_ids:
        raise BatchRefused(gettext("Select at least one order."))
    if len(order_ids) > BATCH_MAX_ORDERS:
        raise BatchRefused(
            gettext("A batch holds at most %(most)s orders; %(n)s were selected.")
            % {"most": BATCH_MAX_ORDERS, "n": len(order_ids)}
        )
    actor = f"user:{user.pk}"
    try:
        with transaction.atomic(durable=True):
            batch = LabelBatch.objects.create(
                merchant_id=merchant_id,
                created_by=user,
                idempotency_key=idempotency_key,
                carrier_code=chosen_route[0] if chosen_route else "",
                service_code=chosen_route[1] if chosen_route else "",
            )
            orders = {
                o.id: o
                for o in order_list(merchant_id=merchant_id)
                .filter(id__in=order_ids)
                .only("id", "state", "carrier_code", "service_code")
            }
            labelled = labelled_order_ids(order_ids=list(orders))
            rows, reroute = [], []
            for position, order_id in enumerate(order_ids):
                action, note, moves = decide(
                    orders.get(order_id), labelled=order_id in labelled, chosen_route=chosen_route
                )
                rows.append(BatchOrder(batch=batch, order_id=order_id, position=position, action=action, note=note))
                if moves:
                    reroute.append(order_id)
            BatchOrder.objects.bulk_create(rows)
    except IntegrityError:
        # The same form again (a double click): the batch it made is the answer, nothing more bought.
        return LabelBatch.objects.get(merchant_id=merchant_id, idempotency_key=idempotency_key), False
    for order_id in reroute:
        try:
            order_reroute_by_operations(
                order_id=order_id, actor=actor, reason=f"label batch {batch.pk}", chosen_route=chosen_route
            )
        except DomainError as exc:
            was_waiting = orders[order_id].state in WAITING_STATES
            BatchOrder.objects.filter(batch=batch, order_id=order_id).update(
                action=A.BUY if was_waiting else A.SKIP,
                note=(
                    gettext("Kept %(route)s: %(reason)s")
                    % {
                        "route": f"{orders[order_id].carrier_code}/{orders[order_id].service_code}",
                        "reason": exc.message[:250],
                    }
                    if was_waiting
                    else exc.message[:250]
                ),
            )
    return batch, True


def print_record(
    *,
    merchant_id: int,
    user,
    paper: str,
    labels: int,
    packing_slips: bool = False,
    batch_id: int | None = None,
    order_id: int | None = None,
) -> LabelPrint:
    """Log one print of a batch's PDF or of one order's documents: who and when, and whether it
    is a reprint (an earlier print of the same batch or order exists). Reprints cost nothing."""
    with transaction.atomic():
        earlier = LabelPrint.objects.filter(merchant_id=merchant_id)
        earlier = earlier.filter(batch_id=batch_id) if batch_id is not None else earlier.filter(order_id=order_id)
        return LabelPrint.objects.create(
            merchant_id=merchant_id,
            batch_id=batch_id,
            order_id=order_id,
            printed_by=user,
            paper=paper,
            labels=labels,
            packing_slips=packing_slips,
            reprint=earlier.exists(),
        )
