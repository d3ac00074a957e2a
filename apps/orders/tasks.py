from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from apps.orders.archiving import orders_archive


@shared_task
def archive_closed_orders() -> int:
    """The periodic archiving job; bounded per run so that one run never holds a worker for long."""
    closed_before = timezone.now() - timedelta(days=settings.ORDER_ARCHIVE_AFTER_DAYS)
    run = orders_archive(
        closed_before=closed_before,
        batch_size=settings.ORDER_ARCHIVE_BATCH_SIZE,
        max_batches=settings.ORDER_ARCHIVE_MAX_BATCHES,
    )
    return run.orders
