from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import OperationalError

from apps.common import outbox
from apps.common.exceptions import TransientError


@shared_task(
    acks_late=True,
    autoretry_for=(TransientError, OperationalError),
    retry_backoff=2,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=12,
)
def run_handler(event_id: int, name: str) -> None:
    outbox.run_subscription(event_id=event_id, name=name)


@shared_task
def prune_outbox() -> int:
    return outbox.prune_relayed(older_than=timedelta(days=settings.OUTBOX_RETENTION_DAYS))
