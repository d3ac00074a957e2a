from celery import shared_task

from apps.common.exceptions import INFRASTRUCTURE_ERRORS
from apps.imports.services import import_run


@shared_task(autoretry_for=INFRASTRUCTURE_ERRORS, retry_backoff=True, max_retries=5)
def run_import(job_id: int) -> int | None:
    """Make the orders of a queued import (idempotent: a second delivery finds it running or done)."""
    job = import_run(job_id=job_id)
    return job.orders_created if job else None
