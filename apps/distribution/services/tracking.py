"""Following a delivery's carrier: polled tracking, signed tracking webhooks, and the states their news leads to."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.common import logs
from apps.common.fsm import forward_path
from apps.distribution.gateways import InvalidWebhook, TrackingUpdate, event_time_problem, gateway_for
from apps.distribution.health import guarded_call
from apps.distribution.models import (
    CARRIER_PROGRESS,
    TRACKABLE,
    CarrierWebhookConfig,
    DistributionOrder,
    TrackingEvent,
)
from apps.distribution.services.shared import S, carrier_gateway, locked, take_and_announce
from apps.resources.selectors import carrier_get

logger = logging.getLogger(__name__)


def _step_to(distribution_order: DistributionOrder, event: TrackingEvent) -> None:
    target = CARRIER_PROGRESS.state_of_milestone[event.milestone]
    actor = f"carrier:{distribution_order.carrier_code}"
    reason = f"{event.description or event.carrier_status} ({event.location})" if event.location else event.description
    if target == S.EXCEPTION:
        take_and_announce(distribution_order, "flag_exception", actor=actor, reason=reason)
        return
    rank = CARRIER_PROGRESS.rank
    if target == distribution_order.state or rank[target] < rank[distribution_order.state]:
        return
    for transition, _ in forward_path(
        DistributionOrder, source=distribution_order.state, target=target, allowed=CARRIER_PROGRESS.transition_names
    ):
        take_and_announce(distribution_order, transition, actor=actor, reason=reason)


def _follow_new_events(distribution_order: DistributionOrder) -> None:
    """Walk the events newer than the last one followed, in event time; older ones only stay on record."""
    news = distribution_order.tracking_events.order_by("occurred_at", "id")
    if distribution_order.last_event_at is not None:
        news = news.filter(occurred_at__gt=distribution_order.last_event_at)
    for event in news:
        if distribution_order.state in CARRIER_PROGRESS.rank:
            _step_to(distribution_order, event)
        distribution_order.last_event_at = event.occurred_at


def tracking_apply(*, distribution_order_id: int, updates: list[TrackingUpdate]) -> DistributionOrder:
    """Keep every new carrier event and move the delivery to where its latest event puts it.

    Events come late, twice or out of order: duplicates are dropped by the unique constraint;
    an event older than the last one followed stays in the timeline without moving the state;
    and the state never moves back to a lower rank (a stale scan after delivery changes nothing).
    An event without a zone or dated in the future is logged and skipped (whatever gateway
    brought it): kept, it would stand as the latest and hold every real event after it.
    """
    updates = [u for u in updates if _believable(u, distribution_order_id)]
    with transaction.atomic():
        distribution_order = locked(distribution_order_id)
        # A poll serves many orders: the lines and events of this one name it (apps/common/logs.py).
        with logs.bound(order_id=distribution_order.order_id):
            _record_and_follow(distribution_order, updates)
    return distribution_order


def _record_and_follow(distribution_order: DistributionOrder, updates: list[TrackingUpdate]) -> None:
    TrackingEvent.objects.bulk_create(
        [
            TrackingEvent(
                distribution_order=distribution_order,
                merchant_id=distribution_order.merchant_id,
                order_id=distribution_order.order_id,
                milestone=u.milestone,
                carrier_status=u.carrier_status,
                description=u.description[:300],
                location=u.location[:200],
                occurred_at=u.occurred_at,
            )
            for u in updates
        ],
        ignore_conflicts=True,
    )
    _follow_new_events(distribution_order)
    if distribution_order.state in TRACKABLE:
        distribution_order.next_poll_at = timezone.now() + timedelta(seconds=settings.TRACKING_POLL_SECONDS)
    else:
        distribution_order.next_poll_at = None
    distribution_order.save(update_fields=["next_poll_at", "last_event_at", "updated_at"])


def _believable(update: TrackingUpdate, distribution_order_id: int) -> bool:
    problem = event_time_problem(update.occurred_at)
    if problem:
        logger.warning(
            "carrier event %s for distribution order %s skipped: %s (%s)",
            update.carrier_status,
            distribution_order_id,
            problem,
            update.occurred_at,
        )
    return not problem


def tracking_poll(*, carrier_code: str, distribution_order_ids: list[int]) -> int:
    """Poll one carrier, in one call, for the given deliveries that are still due; return how many.

    Called only from the carrier's lane (scheduling), which has already spent the call's token
    and slot; which deliveries are due is `selectors.tracking_due`. The rows are claimed by
    pushing their next poll forward before the call goes out, so two overlapping polls do not
    ask twice. Raises CarrierTransientError (CircuitOpen included): the claimed rows are due
    again after one poll interval.
    """
    now = timezone.now()
    with transaction.atomic():
        due = list(
            DistributionOrder.objects.select_for_update(skip_locked=True)
            .filter(
                pk__in=distribution_order_ids, carrier_code=carrier_code, state__in=TRACKABLE, next_poll_at__lte=now
            )
            .order_by("pk")
            .only("id", "tracking_number")
        )
        DistributionOrder.objects.filter(pk__in=[d.pk for d in due]).update(
            next_poll_at=now + timedelta(seconds=settings.TRACKING_POLL_SECONDS)
        )
    if not due:
        return 0
    gateway = carrier_gateway(carrier_code)
    found = guarded_call(carrier_code, gateway.track, [d.tracking_number for d in due])
    for distribution_order in due:
        tracking_apply(
            distribution_order_id=distribution_order.pk, updates=found.get(distribution_order.tracking_number, [])
        )
    return len(due)


def tracking_webhook_receive(*, carrier_code: str, headers: dict[str, str], body: bytes) -> int:
    """Verify a carrier's tracking webhook and apply its events; return how many shipments it moved.

    Raises InvalidWebhook (signature, timestamp or body) and CarrierNotFound; nothing is recorded then.
    """
    config = CarrierWebhookConfig.objects.filter(carrier_code=carrier_code).first()
    carrier = carrier_get(code=carrier_code)
    if config is None:
        raise InvalidWebhook("no webhook secret configured for this carrier")
    updates = gateway_for(gateway_kind=carrier.gateway_kind).parse_webhook(
        headers={k.lower(): v for k, v in headers.items()},
        body=body,
        secret=config.secret,
        tolerance_seconds=config.tolerance_seconds,
    )
    ids = dict(
        DistributionOrder.objects.filter(carrier_code=carrier_code, tracking_number__in=list(updates)).values_list(
            "tracking_number", "pk"
        )
    )
    for tracking_number, carrier_events in updates.items():
        if tracking_number in ids:
            tracking_apply(distribution_order_id=ids[tracking_number], updates=carrier_events)
    return len(ids)


def carrier_webhook_secret_set(*, carrier_code: str, secret: str) -> CarrierWebhookConfig:
    config, _ = CarrierWebhookConfig.objects.update_or_create(carrier_code=carrier_code, defaults={"secret": secret})
    return config
