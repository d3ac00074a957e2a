from celery import shared_task

from apps.batches.services import label_batch_reroute
from apps.common.exceptions import INFRASTRUCTURE_ERRORS, TransientError


@shared_task(
    acks_late=True,
    autoretry_for=(TransientError, *INFRASTRUCTURE_ERRORS),
    retry_backoff=2,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=12,
)
def move_batch_orders(batch_id: int) -> int:
    """Move the batch's orders still to move (idempotent: each chunk notes its moves in the same
    transaction, so a second delivery, or a run after a crash, moves only what is left)."""
    return label_batch_reroute(batch_id=batch_id)
