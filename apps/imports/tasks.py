from celery import shared_task
from django.conf import settings

from apps.common.exceptions import INFRASTRUCTURE_ERRORS
from apps.imports.selectors import import_jobs_waiting
from apps.imports.services import import_run, import_tables_purge


@shared_task(autoretry_for=INFRASTRUCTURE_ERRORS, retry_backoff=True, max_retries=5)
def run_import(job_id: int) -> int | None:
    """Make the orders of a queued import (idempotent: a second delivery finds it running or done)."""
    job = import_run(job_id=job_id)
    return job.orders_created if job else None


@shared_task
def resume_imports() -> int:
    """Beat: queue again the imports whose nudge was lost (queued for a while) or whose worker
    was (running far too long); `import_run` makes only what is not made yet."""
    waiting = import_jobs_waiting()
    for job_id in waiting:
        run_import.delay(job_id)
    return len(waiting)


@shared_task
def purge_import_tables() -> int:
    """Beat, daily: the rows of old imports are forgotten (`IMPORT_RETENTION_DAYS`)."""
    return import_tables_purge(older_than_days=settings.IMPORT_RETENTION_DAYS)
