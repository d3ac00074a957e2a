"""The transactional outbox: events are rows written with the change that causes them.

- `record()` writes an event in the caller's transaction, so it exists only if that transaction
  commits (`new_event()` gives the row to a caller that writes it in the same statement as the
  change). No request path talks to Redis, and none sends NOTIFY (docs/adr/0004).
- `on(event_type)` subscribes a handler. A handler runs inside a transaction together with the
  insert of its `ProcessedEvent` row, so it takes effect at most once per event, however often
  the event is delivered.
- `route(event_type, task=...)` hands an event to a Celery task that does outside I/O and is
  idempotent by its own design (a state machine plus an idempotency key at the outside system).
- `relay_pending()` (run by `manage.py outbox_relay`) hands committed events to Celery and
  keeps an `OutboxDelivery` row per message until its subscriber is done (its `ProcessedEvent`
  mark exists); `redeliver_due()` publishes again the messages whose subscriber has not finished
  within `OUTBOX_REDELIVER_SECONDS`, because a broker that restarts empty loses them.
"""

import logging
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from apps.common import logs, rows
from apps.common.models import OutboxDelivery, OutboxEvent, ProcessedEvent

logger = logging.getLogger(__name__)

NOTIFY_CHANNEL = "outbox_events"
# The message header naming the delivery a task runs for: [event id, subscription name].
DELIVERY_HEADER = "outbox_delivery"
# The message headers restoring the log context of the event's cause around its task
# (apps.common.tasks): the request id and the order the event is about.
REQUEST_ID_HEADER = "request_id"
ORDER_ID_HEADER = "order_id"
# When the relay published the message (epoch seconds, the delivery's `published_at`): a message
# still waiting in its queue is not lost, however long the queue (apps.common.workers.queue_tails).
PUBLISHED_AT_HEADER = "outbox_published_at"
# How many of a queue's oldest messages are looked at for the oldest one the relay published
# (beat's own tasks, which carry no such header, share the queues).
QUEUE_TAIL_LOOKED_AT = 20
# A producer marks an event `payload[BULK] = True` when one request brought many like it (a bulk
# upload). Its subscribers on a queue with a bulk twin (`OUTBOX_BULK_QUEUES`) run from the twin,
# which the same workers consume in turn with the queue itself: a 5,000-order upload's news then
# waits beside another merchant's single order instead of ahead of it.
BULK = "bulk"


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
    request_id: str = ""

    @property
    def order_id(self) -> str:
        """The order the event is about, when it is about one (for the log context)."""
        if self.aggregate_type == "order":
            return self.aggregate_id
        return str(self.payload.get("order_id") or "")

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
            request_id=row.request_id,
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
    request_id: str | None = None,
) -> OutboxEvent:
    """The unsaved row of an event, for a caller that writes it in the same statement as the
    change it reports (`rows.insert_sql`); everyone else calls `record()`. It carries the
    request id of the log context unless given one (work released long after its request)."""
    return OutboxEvent(
        event_type=event_type,
        aggregate_type=aggregate_type,
        aggregate_id=str(aggregate_id),
        merchant_id=merchant_id,
        payload=payload,
        actor=actor,
        request_id=logs.current_request_id() if request_id is None else request_id,
    )


def record(
    *,
    event_type: str,
    aggregate_type: str,
    aggregate_id: int | str,
    merchant_id: int | None,
    payload: dict[str, Any],
    actor: str = "",
    request_id: str | None = None,
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
        request_id=request_id,
    )
    rows.insert([row])
    return row


def relay_pending(*, limit: int = 500) -> int:
    """Hand up to `limit` committed, unrelayed events to Celery; return how many.

    Publishing, marking and writing the deliveries happen under the row locks: if publishing
    fails the transaction rolls back and the events are relayed again later. A crash after
    publishing but before commit relays them twice, which the subscribers absorb.
    """
    now = timezone.now()
    with transaction.atomic():
        rows = list(
            OutboxEvent.objects.select_for_update(skip_locked=True)
            .filter(relayed_at__isnull=True)
            .order_by("id")[:limit]
        )
        deliveries = []
        for row in rows:
            event = Event.from_row(row)
            subscriptions = subscriptions_for(row.event_type)
            with logs.bound(request_id=event.request_id, order_id=event.order_id):
                for sub in subscriptions:
                    _publish(event, sub, published_at=now)
                    deliveries.append(
                        OutboxDelivery(
                            event_id=row.id,
                            subscription=sub.name,
                            published_at=now,
                            check_at=now + _redeliver_after(1),
                        )
                    )
                logger.info("relayed %s #%s to %d subscribers", row.event_type, row.id, len(subscriptions))
        if rows:
            OutboxDelivery.objects.bulk_create(deliveries)
            OutboxEvent.objects.filter(id__in=[r.id for r in rows]).update(relayed_at=now)
    return len(rows)


def redeliver_due(*, limit: int = 500) -> int:
    """Look at up to `limit` deliveries due for a check, in event order; return how many.

    A delivery whose subscriber is done (its `ProcessedEvent` mark exists) is forgotten. One whose
    message is still waiting in its queue (the queue holds a message of ours published no later
    than it: a backlog, not a loss) is checked again after the same wait. Any other is published
    again (its message was lost, or its subscriber failed for good) and checked again after twice
    the previous wait, up to `OUTBOX_REDELIVER_MAX_SECONDS`, so that a subscriber that keeps
    failing is not published in a tight loop.
    """
    now = timezone.now()
    with transaction.atomic():
        due = list(
            OutboxDelivery.objects.select_for_update(skip_locked=True)
            .filter(check_at__lte=now)
            .order_by("event_id", "id")[:limit]
        )
        if not due:
            return 0
        done = set(
            ProcessedEvent.objects.filter(event_id__in={d.event_id for d in due}).values_list("event_id", "handler")
        )
        finished, lost = [], []
        for delivery in due:
            if (delivery.event_id, delivery.subscription) in done:
                finished.append(delivery.pk)
            elif delivery.subscription not in _by_name:
                logger.warning(
                    "dropping delivery of event %s to %s: no such subscription",
                    delivery.event_id,
                    delivery.subscription,
                )
                finished.append(delivery.pk)
            else:
                lost.append(delivery)
        events = {
            pk: Event.from_row(row) for pk, row in OutboxEvent.objects.in_bulk({d.event_id for d in lost}).items()
        }
        queue_of = {d.pk: _queue(events[d.event_id], _by_name[d.subscription]) for d in lost}
        oldest_waiting = _oldest_waiting(set(queue_of.values())) if lost else {}
        waiting = [d for d in lost if oldest_waiting.get(queue_of[d.pk], math.inf) <= d.published_at.timestamp()]
        for delivery in waiting:
            delivery.check_at = now + _redeliver_after(delivery.publish_count)
        lost = [d for d in lost if d not in waiting]
        for delivery in lost:
            _publish(events[delivery.event_id], _by_name[delivery.subscription], published_at=now)
            delivery.publish_count += 1
            delivery.published_at = now
            delivery.check_at = now + _redeliver_after(delivery.publish_count)
        OutboxDelivery.objects.filter(pk__in=finished).delete()
        OutboxDelivery.objects.bulk_update(lost, ["publish_count", "published_at", "check_at"])
        OutboxDelivery.objects.bulk_update(waiting, ["check_at"])
    if waiting:
        logger.info("%d outbox messages are still waiting in their queues; checked again later", len(waiting))
    if lost:
        logger.warning(
            "published %d outbox messages again whose subscribers had not finished (first: event %s to %s)",
            len(lost),
            lost[0].event_id,
            lost[0].subscription,
        )
    return len(due)


def _queue(event: Event, sub: Subscription) -> str:
    if event.payload.get(BULK):
        return settings.OUTBOX_BULK_QUEUES.get(sub.queue, sub.queue)
    return sub.queue


def _oldest_waiting(queues: set[str]) -> dict[str, float]:
    """queue -> when the oldest message of ours still waiting in it was published; a queue with
    none (or when Redis does not answer) is absent."""
    from apps.common.workers import queue_tails

    oldest = {}
    for queue, headers in queue_tails(queues=sorted(queues), count=QUEUE_TAIL_LOOKED_AT).items():
        stamps = [h[PUBLISHED_AT_HEADER] for h in headers if isinstance(h.get(PUBLISHED_AT_HEADER), int | float)]
        if stamps:
            oldest[queue] = min(stamps)
    return oldest


def _publish(event: Event, sub: Subscription, *, published_at: datetime) -> None:
    from apps.common.tasks import run_handler

    headers = {
        DELIVERY_HEADER: [event.id, sub.name],
        REQUEST_ID_HEADER: event.request_id,
        ORDER_ID_HEADER: event.order_id,
        PUBLISHED_AT_HEADER: published_at.timestamp(),
    }
    queue = _queue(event, sub)
    if sub.task is not None:
        sub.task.apply_async(kwargs=sub.task_kwargs(event), queue=queue, headers=headers)
    else:
        run_handler.apply_async(args=(event.id, sub.name), queue=queue, headers=headers)


def _redeliver_after(publish_count: int) -> timedelta:
    doubled = settings.OUTBOX_REDELIVER_SECONDS * 2 ** min(publish_count - 1, 30)
    return timedelta(seconds=min(doubled, settings.OUTBOX_REDELIVER_MAX_SECONDS))


def delivery_finished(*, event_id: int, name: str) -> None:
    """A subscriber's task returned without raising. A routed task's delivery is done now; a
    handler marked its own, in its transaction."""
    sub = _by_name.get(name)
    if sub is not None and sub.task is not None:
        ProcessedEvent.objects.bulk_create([ProcessedEvent(event_id=event_id, handler=name)], ignore_conflicts=True)


def delivery_retrying(*, event_id: int, name: str, retry_in: float) -> None:
    """A subscriber's task published its own retry, due in `retry_in` seconds: the delivery is
    alive, so it is not published again before that retry had its time."""
    now = timezone.now()
    OutboxDelivery.objects.filter(event_id=event_id, subscription=name).update(
        published_at=now, check_at=now + timedelta(seconds=max(retry_in, 0.0) + settings.OUTBOX_REDELIVER_SECONDS)
    )


def prune_relayed(*, older_than: timedelta, batch_size: int = 5000) -> int:
    """Delete events relayed more than `older_than` ago whose subscribers are all done, with their
    marks; return how many.

    An event with a delivery left is not done (its subscriber failed, or its message is being
    published again), whatever its age. Batches keep each transaction short; the oldest ids go
    first, so the scan walks the primary key and stops early.
    """
    cutoff = timezone.now() - older_than
    pruned = 0
    while True:
        with transaction.atomic():
            ids = list(
                OutboxEvent.objects.filter(relayed_at__lt=cutoff)
                .exclude(Exists(OutboxDelivery.objects.filter(event=OuterRef("pk"))))
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
        event = Event.from_row(OutboxEvent.objects.get(pk=event_id))
        with logs.bound(request_id=event.request_id, order_id=event.order_id):
            sub.handler(event)
            logger.info("handler %s ran for %s #%s", name, event.event_type, event.id)
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


@dataclass(frozen=True)
class OutboxLag:
    unrelayed: int
    oldest_unrelayed_at: datetime | None
    deliveries_waiting: int
    deliveries_published_again: int


def outbox_lag() -> OutboxLag:
    """How far the relay and the subscribers are behind: unrelayed events (on the partial index
    of unrelayed rows) and their oldest, deliveries not yet checked off, and those published more
    than once (their subscriber did not finish in time)."""
    unrelayed = OutboxEvent.objects.filter(relayed_at__isnull=True)
    oldest = unrelayed.order_by("id").values_list("created_at", flat=True).first()
    waiting = OutboxDelivery.objects.aggregate(
        total=models.Count("id"), again=models.Count("id", filter=models.Q(publish_count__gt=1))
    )
    return OutboxLag(
        unrelayed=unrelayed.count(),
        oldest_unrelayed_at=oldest,
        deliveries_waiting=waiting["total"],
        deliveries_published_again=waiting["again"],
    )
