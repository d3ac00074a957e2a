import logging
from datetime import datetime, timedelta

from celery import shared_task
from celery.signals import task_postrun, task_prerun, task_retry, task_success
from django.conf import settings
from django.utils import timezone

from apps.common import logs, outbox
from apps.common.exceptions import INFRASTRUCTURE_ERRORS, TransientError

logger = logging.getLogger(__name__)


# A task whose work may meet an outage of ours (database, Redis) or a passing error: it is
# acknowledged once done, so a worker that dies mid-way leaves it to another, and retried with
# backoff: 12 tries over at most about 47 minutes (2, 4, 8 ... s, then 600 s apart; jitter makes
# each wait shorter).
RETRIED_UNTIL_DONE = {
    "acks_late": True,
    "autoretry_for": (TransientError, *INFRASTRUCTURE_ERRORS),
    "retry_backoff": 2,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 12,
}


@shared_task(**RETRIED_UNTIL_DONE)
def run_handler(event_id: int, name: str) -> None:
    outbox.run_subscription(event_id=event_id, name=name)


@shared_task
def prune_outbox() -> int:
    return outbox.prune_relayed(older_than=timedelta(days=settings.OUTBOX_RETENTION_DAYS))


def _header(request, name: str):
    """A message header of the running task (Celery puts custom headers in `request.headers` or,
    depending on the protocol, on the request itself)."""
    value = (getattr(request, "headers", None) or {}).get(name)
    return getattr(request, name, None) if value is None else value


# Every task the relay publishes carries its delivery in a message header (kept across retries),
# so the outbox learns here, for handlers and routed tasks alike, that one finished or is waiting
# for its own retry. A failure to record it only means the delivery is published once more.
def _delivery_of(request) -> tuple[int, str] | None:
    value = _header(request, outbox.DELIVERY_HEADER)
    return (int(value[0]), str(value[1])) if value else None


# Each task starts with a fresh log context: the request id and order id its message carries (the
# relay sets them from the event), so that every line the task writes, and every event it
# records, names the request that started the order's journey. Beat's tasks carry none.
_log_context_tokens: dict[str, object] = {}


@task_prerun.connect
def _restore_log_context(task_id=None, task=None, kwargs=None, **_) -> None:
    request = getattr(task, "request", None)
    order_id = _header(request, outbox.ORDER_ID_HEADER) or (kwargs or {}).get("order_id")
    _log_context_tokens[task_id] = logs.replace(
        request_id=logs.valid_request_id(_header(request, outbox.REQUEST_ID_HEADER)),
        order_id=order_id if isinstance(order_id, int | str) else None,
    )


@task_postrun.connect
def _clear_log_context(task_id=None, **_) -> None:
    token = _log_context_tokens.pop(task_id, None)
    if token is not None:
        try:
            logs.reset(token)
        except (ValueError, RuntimeError):  # set in another context (an eager task inside another): start afresh
            logs.replace()


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
