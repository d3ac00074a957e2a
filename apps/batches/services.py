"""Writes of label batches: a batch and what it does with each order; the print log.

What a batch does with an order (docs/printing.md): the platform buys an order's label as soon as
it is accepted (intake, then the carrier's lane), so a batch buys what is still to buy and prints
what is bought:

- labelled already: **reprint**, free, into the batch's PDF (a service chosen for the batch does
  not void a bought label);
- waiting for its label (accepted, scheduled, in fulfilment): **buy**; with a service chosen for
  the batch other than the order's, the order is moved (re-routed) to it first (shipping's
  `order_reroute_by_operations`, which takes its booking off the lane and puts it on the new
  carrier's); with "let the platform choose", it keeps the route routing gave it;
- flagged for a person (`exception`: every carrier refused it, or none could take it): **buy**
  again, moved to the chosen service or to the best other carrier;
- cancelled, delivered, returned, or not the merchant's: **skip**, with the reason.

*Buy* only records the batch, its rows and, when orders are to move, the outbox event
`batches.batch.bought`, in one transaction, and answers at once; a worker makes the moves
(`label_batch_reroute`, through `tasks.move_batch_orders`) a chunk per transaction, each row
marked moved with its move, so that a crash loses nothing and a run again moves only what is left.

A batch is made once per form (`idempotency_key`, unique per merchant): a second post of the same
form, a double click, finds the first batch and buys nothing more.
"""

import logging
import uuid
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.batches import events, notes
from apps.batches.exceptions import BatchMovesWaiting, BatchRefused
from apps.batches.models import BatchOrder, LabelBatch, LabelPrint
from apps.batches.rules import WAITING_STATES, decide
from apps.common.exceptions import DomainError
from apps.distribution.selectors import labelled_order_ids
from apps.orders.selectors import order_list
from apps.shipping.services import order_reroute_by_operations

logger = logging.getLogger(__name__)

BATCH_MAX_ORDERS = 500
# Moves a transaction: a commit waits for the disk, and a chunk's orders stay locked until it.
REROUTE_CHUNK = 25
# How long the worker waits for an order intake accepted to reach its lane before moving it anyway
# (and being refused): scheduling takes an order within seconds unless it is down.
ACCEPTED_WAIT = timedelta(minutes=15)


def label_batch_create(
    *,
    merchant_id: int,
    user,
    order_ids: list[int],
    chosen_route: tuple[str, str] | None,
    idempotency_key: uuid.UUID,
) -> tuple[LabelBatch, bool]:
    """Make a batch of `order_ids` (in that order) to buy what is to buy, with `chosen_route`
    (carrier code, service code) or the platform's choice (None); the moves it needs are left
    to a worker (`label_batch_reroute`). Returns (batch, created): a batch already made with
    this `idempotency_key` is returned as it is, with created False."""
    order_ids = list(dict.fromkeys(order_ids))
    if not order_ids:
        raise BatchRefused("Select at least one order.")
    if len(order_ids) > BATCH_MAX_ORDERS:
        raise BatchRefused(f"A batch holds at most {BATCH_MAX_ORDERS} orders; {len(order_ids)} were selected.")
    try:
        with transaction.atomic(durable=True):
            batch = LabelBatch.objects.create(
                merchant_id=merchant_id,
                created_by=user,
                idempotency_key=idempotency_key,
                carrier_code=chosen_route[0] if chosen_route else "",
                service_code=chosen_route[1] if chosen_route else "",
            )
            orders = _orders(merchant_id=merchant_id, order_ids=order_ids)
            labelled = labelled_order_ids(order_ids=list(orders))
            rows = []
            for position, order_id in enumerate(order_ids):
                action, reason, args, moves = decide(
                    orders.get(order_id), labelled=order_id in labelled, chosen_route=chosen_route
                )
                rows.append(
                    BatchOrder(
                        batch=batch,
                        order_id=order_id,
                        position=position,
                        action=action,
                        reroute=BatchOrder.Reroute.PENDING if moves else BatchOrder.Reroute.NONE,
                        reason=reason,
                        reason_args=args,
                    )
                )
            BatchOrder.objects.bulk_create(rows)
            moves = sum(1 for row in rows if row.reroute == BatchOrder.Reroute.PENDING)
            if moves:
                events.batch_bought(batch=batch, moves=moves)
    except IntegrityError:
        # The same form again (a double click): the batch it made is the answer, nothing more bought.
        return LabelBatch.objects.get(merchant_id=merchant_id, idempotency_key=idempotency_key), False
    return batch, True


def _orders(*, merchant_id: int, order_ids: list[int]) -> dict:
    return {
        o.id: o
        for o in order_list(merchant_id=merchant_id)
        .filter(id__in=order_ids)
        .only("id", "state", "carrier_code", "service_code")
    }


def label_batch_reroute(*, batch_id: int) -> int:
    """The worker's part of *Buy*: move the batch's orders still to move, `REROUTE_CHUNK` a
    transaction, in the batch's order; return how many were moved now.

    Each chunk locks its rows, moves each order and marks its row in the same transaction, so a
    crash rolls back the chunk's moves with their marks, and a run again (the outbox delivers the
    task again) moves each order once. A second run at the same time waits for the chunk, finds it
    moved and goes on with the next: no run ends while rows are left that the other could drop in
    a crash. Each order is judged again first (`rules.decide`): one labelled meanwhile keeps its
    label (a bought label is never voided for a batch), one cancelled meanwhile is not moved. A
    refused move (the shipping center's `DomainError`) is rolled back alone (its savepoint) and
    noted with the reason: a waiting order keeps its route, a flagged one gets no label. An order
    not on a lane yet is left for a run again: `BatchMovesWaiting` once the rest is done (the task
    retries it), for up to `ACCEPTED_WAIT`."""
    batch = LabelBatch.objects.filter(pk=batch_id).first()
    if batch is None:
        return 0
    moved, waiting, after = 0, 0, -1
    while True:
        with transaction.atomic(durable=True):
            rows = list(
                BatchOrder.objects.select_for_update()
                .filter(batch_id=batch_id, reroute=BatchOrder.Reroute.PENDING, position__gt=after)
                .order_by("position")[:REROUTE_CHUNK]
            )
            if not rows:
                break
            chunk_moved, chunk_waiting = _reroute_rows(batch, rows)
            moved, waiting, after = moved + chunk_moved, waiting + chunk_waiting, rows[-1].position
    if moved:
        logger.info("label batch %s: %d orders moved", batch_id, moved)
    if waiting:
        raise BatchMovesWaiting(f"label batch {batch_id}: {waiting} orders to move are not on a lane yet")
    return moved


def _reroute_rows(batch: LabelBatch, rows: list[BatchOrder]) -> tuple[int, int]:
    """(moved, left to wait): the chunk's rows are marked and saved, except those left to wait."""
    chosen_route = (batch.carrier_code, batch.service_code) if batch.carrier_code else None
    ids = [row.order_id for row in rows]
    orders = _orders(merchant_id=batch.merchant_id, order_ids=ids)
    labelled = labelled_order_ids(order_ids=list(orders))
    wait_until = timezone.now() - ACCEPTED_WAIT
    moved, waiting, marked = 0, 0, []
    for row in rows:
        order = orders.get(row.order_id)
        action, reason, args, moves = decide(order, labelled=row.order_id in labelled, chosen_route=chosen_route)
        if moves and order.state == "accepted" and batch.created_at > wait_until:
            # The events worker has not put it on its lane yet (the relay may hand the batch to
            # the imports worker first): a move now would be refused; the task tries again.
            waiting += 1
            continue
        marked.append(row)
        if not moves:
            # What the batch does with the order now: print the label it got meanwhile, or nothing.
            row.action, row.reason, row.reason_args = action, reason, args
            row.reroute = BatchOrder.Reroute.DROPPED
            continue
        previous = f"{order.carrier_code}/{order.service_code}"
        try:
            order_reroute_by_operations(
                order_id=row.order_id,
                actor=f"user:{batch.created_by_id}",
                reason=f"label batch {batch.pk}",
                chosen_route=chosen_route,
            )
        except DomainError as exc:
            row.reroute = BatchOrder.Reroute.REFUSED
            row.reason = notes.NOT_MOVED
            why = notes.NOT_ON_A_LANE if order.state == "accepted" else exc.code
            # A waiting order keeps its route and gets its label there; a flagged one gets none.
            row.reason_args = {"why": why, **({"kept": previous} if order.state in WAITING_STATES else {})}
            row.note = exc.message[:300]
        else:
            row.reroute, row.reason, row.reason_args = BatchOrder.Reroute.DONE, notes.MOVED, {"from": previous}
            moved += 1
    BatchOrder.objects.bulk_update(marked, ["action", "reroute", "reason", "reason_args", "note"])
    return moved, waiting


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
