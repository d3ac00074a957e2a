"""Outbox records of label batches."""

from apps.common import outbox

BATCH_BOUGHT = "batches.batch.bought"


def batch_bought(*, batch, moves: int) -> None:
    """Record `batches.batch.bought`: a batch with orders to move first was made; a worker moves
    them (`tasks.move_batch_orders`), the relay hands it the batch after the commit."""
    outbox.record(
        event_type=BATCH_BOUGHT,
        aggregate_type="label_batch",
        aggregate_id=batch.pk,
        merchant_id=batch.merchant_id,
        payload={"batch_id": batch.pk, "moves": moves},
        actor=f"user:{batch.created_by_id}",
    )
