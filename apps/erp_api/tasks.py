from celery import shared_task

from apps.erp_api.idempotency import idempotency_purge


@shared_task
def purge_idempotency_records() -> int:
    """Forget idempotency keys past their retention (IDEMPOTENCY_KEY_TTL_HOURS)."""
    return idempotency_purge()
