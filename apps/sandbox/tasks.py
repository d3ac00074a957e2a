"""The sandbox carriers push tracking webhooks, as real carriers do: signed, sometimes twice,
sometimes out of order."""

from celery import shared_task

from apps.sandbox.simulation import send_due_webhooks


@shared_task(ignore_result=True)
def send_webhooks() -> None:
    send_due_webhooks()
