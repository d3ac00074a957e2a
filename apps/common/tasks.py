import logging
from datetime import datetime, timedelta

from celery import shared_task
from celery.signals import task_retry, task_success
from django.conf import settings
from django.utils import timezone

from apps.common import outbox
from apps.common.exceptions import INFRASTRUCTURE_ERRORS, TransientError

logger = logging.getLogger(__name__)


@shared_task(
    acks_late=True,
    autoretry_for=(TransientError, *INFRASTRUCTURE_ERRORS),
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


# Every task the relay publishes carries its delivery in a message header (kept across retries),
# so the outbox learns here, for handlers and routed tasks alike, that one finished or is waiting
# for its own retry. A failure to record it only means the delivery is published once more.
def _delivery_of(request) -> tuple[int, str] | None:
    value = (getattr(request, "headers", None) or {}).get(outbox.DELIVERY_HEADER)
    if value is None:
        value = getattr(request, outbox.DELIVERY_HEADER, None)
    return (int(value[0]), str(value[1])) if value else None


@task_success.connect
def _note_delivery_finished(sender=None, **_) -> None:
    delivery = _delivery_of(sender.request) if sender is not None else None
    if delivery is None:
        return
    try:
        outbox.delivery_finished(event_id=delivery[0], name=delivery[1])
    except Exception as exc:
        logger.warning("could not mark delivery %s done (%s); it will be published again", delivery, exc)


@task_retry.connect
def _note_delivery_retrying(sender=None, request=None, reason=None, **_) -> None:
    delivery = _delivery_of(request)
    if delivery is None:
        return
    when = getattr(reason, "when", None)
    retry_in = (when - timezone.now()).total_seconds() if isinstance(when, datetime) else float(when or 0)
    try:
        outbox.delivery_retrying(event_id=delivery[0], name=delivery[1], retry_in=retry_in)
    except Exception as exc:
        logger.warning("could not note the retry of delivery %s (%s)", delivery, exc)
