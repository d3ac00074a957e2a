"""The transactional outbox: events are rows written with the change that causes them.

- `record()` writes an event in the caller's transaction, so it exists only if that transaction
  commits (`new_event()` gives the row to a caller that writes it in the same statement as the
  change). No request path talks to Redis, and none sends NOTIFY (docs/adr/0004).
- `on(event_type)` subscribes a handler. A handler runs inside a transaction together with the
  insert of its `ProcessedEvent` row, so it takes effect at most once per event, however often
  the event is delivered.
- `route(event_type, task=...)` hands an event to a Celery task that does outside I/O and is
  idempotent by its own design (a state machine plus an idempotency key at the outside system).
- `relay_pending()` (run by `manage.py outbox_relay`) hands committed events to Celery.
"""

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from apps.common import rows
from apps.common.models import OutboxEvent, ProcessedEvent

logger = logging.getLogger(__name__)

NOTIFY_CHANNEL = "outbox_events"


@dataclass(frozen=True)
class Event:
    id: int
    event_type: str
    aggregate_type: str
    aggregate_id: str
    merchant_id: int | None
    payload: dict[str, Any]
    actor: str
    created_at: datetime

    @classmethod
    def from_row(cls, row: OutboxEvent) -> "Event":
        return cls(
            id=row.id,
            event_type=row.event_type,
            aggregate_type=row.aggregate_type,
            aggregate_id=row.aggregate_id,
            merchant_id=row.merchant_id,
            payload=row.payload,
            actor=row.actor,
            created_at=row.created_at,
        )


Handler = Callable[[Event], None]


@dataclass(frozen=True)
class Subscription:
    name: str
    queue: str
    handler: Handler | None = None
    task: Any = None
    task_kwargs: Callable[[Event], dict[str, Any]] | None = None


_subscriptions: dict[str, list[Subscription]] = defaultdict(list)
_by_name: dict[str, Subscription] = {}


def _register(event_type: str, subscription: Subscription) -> None:
    if any(s.name == subscription.name for s in _subscriptions[event_type]):
        return  # a module imported twice registers once
    _by_name[subscription.name] = subscription
    _subscriptions[event_type].append(subscription)


def on(event_type: str, *, queue: str = "events") -> Callable[[Handler], Handler]:
    """Subscribe a database-only handler to an event type."""

    def decorator(handler: Handler) -> Handler:
        name = f"{handler.__module__}.{handler.__qualname__}"
        _register(event_type, Subscription(name=name, queue=queue, handler=handler))
        return handler

    return decorator


def route(event_type: str, *, task: Any, kwargs: Callable[[Event], dict[str, Any]], queue: str) -> None:
    """Hand each event of a type to an idempotent Celery task that talks to the outside world."""
    name = f"{task.name}<-{event_type}"
    _register(event_type, Subscription(name=name, queue=queue, task=task, task_kwargs=kwargs))


def subscriptions_for(event_type: str) -> list[Subscription]:
    return list(_subscriptions.get(event_type, ()))


def subscribed_event_types() -> dict[str, list[str]]:
    return {event_type: [s.name for s in subs] for event_type, subs in sorted(_subscriptions.items())}


def new_event(
    *,
    event_type: str,
    aggregate_type: str,
    aggregate_id: int | str,
    merchant_id: int | None,
    payload: dict[str, Any],
    actor: str = "",
) -> OutboxEvent:
    """The unsaved row of an event, for a caller that writes it in the same statement as the
    change it reports (`rows.insert_sql`); everyone else calls `record()`."""
    return OutboxEvent(
        event_type=event_type,
        aggregate_type=aggregate_type,
        aggregate_id=str(aggregate_id),
        merchant_id=merchant_id,
        payload=payload,
        actor=actor,
    )


def record(
    *,
    event_type: str,
    aggregate_type: str,
    aggregate_id: int | str,
    merchant_id: int | None,
    payload: dict[str, Any],
    actor: str = "",
) -> OutboxEvent:
    """Write an event in the current transaction. Outside a transaction this is a bug."""
    if not connection.in_atomic_block:
        raise RuntimeError("outbox.record() must run inside the transaction of the change it reports")
    row = new_event(
        event_type=event_type,
        aggregate_type=aggregate_type,
        aggregate_id=aggregate_id,
        merchant_id=merchant_id,
        payload=payload,
        actor=actor,
    )
    rows.insert([row])
    return row


def relay_pending(*, limit: int = 500) -> int:
    """Hand up to `limit` committed, unrelayed events to Celery; return how many.

    Publishing and marking happen under the row locks: if publishing fails the transaction rolls
    back and the events are relayed again later. A crash after publishing but before commit
    relays them twice, which the handlers' `ProcessedEvent` guard absorbs.
    """
    from apps.common.tasks import run_handler

    with transaction.atomic():
        rows = list(
            OutboxEvent.objects.select_for_update(skip_locked=True)
            .filter(relayed_at__isnull=True)
            .order_by("id")[:limit]
        )
        for row in rows:
            event = Event.from_row(row)
            for sub in subscriptions_for(row.event_type):
                if sub.task is not None:
                    sub.task.apply_async(kwargs=sub.task_kwargs(event), queue=sub.queue)
                else:
                    run_handler.apply_async(args=(row.id, sub.name), queue=sub.queue)
        if rows:
            OutboxEvent.objects.filter(id__in=[r.id for r in rows]).update(relayed_at=timezone.now())
    return len(rows)


def prune_relayed(*, older_than: timedelta, batch_size: int = 5000) -> int:
    """Delete events relayed more than `older_than` ago, with their handlers' marks; return how many.

    A relayed event is history: its handlers ran or are retrying from their own task state, which
    holds far less than the retention. Batches keep each transaction short; the oldest ids go first,
    so the scan walks the primary key and stops early.
    """
    cutoff = timezone.now() - older_than
    pruned = 0
    while True:
        with transaction.atomic():
            ids = list(
                OutboxEvent.objects.filter(relayed_at__lt=cutoff)
                .order_by("id")
                .values_list("id", flat=True)[:batch_size]
            )
            if not ids:
                return pruned
            OutboxEvent.objects.filter(id__in=ids).delete()  # their ProcessedEvent marks cascade
        pruned += len(ids)


def run_subscription(*, event_id: int, name: str) -> bool:
    """Run one handler for one event unless it already ran; return whether it ran now."""
    sub = _by_name.get(name)
    if sub is None or sub.handler is None:
        raise LookupError(f"no handler named {name!r}")
    with transaction.atomic(durable=True):
        try:
            with transaction.atomic():
                ProcessedEvent.objects.create(event_id=event_id, handler=name)
        except IntegrityError:
            logger.info("handler %s already ran for event %s", name, event_id)
            return False
        row = OutboxEvent.objects.get(pk=event_id)
        sub.handler(Event.from_row(row))
    return True


def drain(*, run_tasks: bool = True, max_rounds: int = 50) -> int:
    """Run every pending event's handlers in this process, until no event is left.

    For tests and management commands that want the whole cascade without workers: it runs the
    same handlers and tasks the workers would run, in event order. With `run_tasks=False` the
    task subscribers (calls to the outside world) are left out.
    """
    handled = 0
    for _ in range(max_rounds):
        with transaction.atomic():
            rows = list(
                OutboxEvent.objects.select_for_update(skip_locked=True)
                .filter(relayed_at__isnull=True)
                .order_by("id")[:500]
            )
            OutboxEvent.objects.filter(id__in=[r.id for r in rows]).update(relayed_at=timezone.now())
        if not rows:
            return handled
        for row in rows:
            event = Event.from_row(row)
            for sub in subscriptions_for(row.event_type):
                if sub.task is not None:
                    if run_tasks:
                        sub.task.apply(kwargs=sub.task_kwargs(event), throw=True)
                else:
                    run_subscription(event_id=row.id, name=sub.name)
            handled += 1
    raise RuntimeError(f"events still pending after {max_rounds} rounds")
