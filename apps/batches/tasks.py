from celery import shared_task

from apps.batches.services import label_batch_reroute
from apps.common.tasks import RETRIED_UNTIL_DONE


@shared_task(**RETRIED_UNTIL_DONE)
def move_batch_orders(batch_id: int) -> int:
    """Move the batch's orders still to move (idempotent: each chunk notes its moves in the same
    transaction, so a second delivery, or a run after a crash, moves only what is left)."""
    return label_batch_reroute(batch_id=batch_id)
