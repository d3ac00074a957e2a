"""Beat's work for the fulfilment center: close containers at their cut-off, retry plan steps."""

from celery import shared_task

from apps.fulfillment.services import consolidations_close_due, fulfillment_steps_retry


@shared_task
def close_containers() -> None:
    consolidations_close_due()


@shared_task
def retry_plan_steps() -> None:
    fulfillment_steps_retry()
