"""The sandbox carriers push tracking webhooks, as real carriers do: signed, sometimes twice,
sometimes out of order. The sandbox WMS moves its orders on and pushes its own webhooks."""

from celery import shared_task
from django.conf import settings

from apps.sandbox.simulation import send_due_webhooks
from apps.sandbox.wms_simulation import run_step


@shared_task(ignore_result=True)
def send_webhooks() -> None:
    send_due_webhooks()


@shared_task(ignore_result=True)
def run_wms() -> None:
    """One step of the sandbox WMS: stages, stock drift, webhooks (one step at a time)."""
    if settings.SANDBOX_ENABLED:
        run_step()
