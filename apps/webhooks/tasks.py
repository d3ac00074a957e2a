from celery import shared_task

from apps.webhooks.services import deliveries_purge, deliveries_send_due


@shared_task(acks_late=True)
def send_due_deliveries() -> int:
    """Beat's sweep: send what is due (first attempts, retries, redeliveries)."""
    return deliveries_send_due()


@shared_task
def purge_deliveries() -> int:
    """Forget finished deliveries past WEBHOOK_RETENTION_DAYS."""
    return deliveries_purge()
