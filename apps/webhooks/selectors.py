"""Reads of merchant webhooks. Every read takes the merchant: another merchant's rows are not found
(except `deliveries_stuck`, operations' view across merchants)."""

from datetime import datetime, timedelta

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from apps.common.stuck import StuckGroup, stuck_groups
from apps.webhooks.exceptions import WebhookDeliveryNotFound, WebhookEndpointNotFound
from apps.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


def _parse_id(value: str | int) -> int | None:
    text = str(value).strip()
    return int(text) if text.isdigit() and 0 < int(text) < 2**63 else None


def endpoint_list(*, merchant_id: int) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(merchant_id=merchant_id).order_by("-id")


def endpoint_get(*, merchant_id: int, endpoint_id: str | int) -> WebhookEndpoint:
    parsed = _parse_id(endpoint_id)
    endpoint = WebhookEndpoint.objects.filter(merchant_id=merchant_id, pk=parsed).first() if parsed else None
    if endpoint is None:
        raise WebhookEndpointNotFound(f"Webhook endpoint {endpoint_id} does not exist.")
    return endpoint


def delivery_list(
    *, merchant_id: int, endpoint_id: int | None = None, state: str | None = None
) -> QuerySet[WebhookDelivery]:
    deliveries = WebhookDelivery.objects.filter(merchant_id=merchant_id).order_by("-id")
    if endpoint_id is not None:
        deliveries = deliveries.filter(endpoint_id=endpoint_id)
    if state:
        deliveries = deliveries.filter(state=state)
    return deliveries


def deliveries_for_order(*, order_id: int, limit: int = 100) -> QuerySet[WebhookDelivery]:
    """What was sent to the merchant about one order, newest first (operations' view)."""
    return WebhookDelivery.objects.filter(order_id=order_id).select_related("endpoint").order_by("-id")[:limit]


def delivery_get(*, merchant_id: int, delivery_id: str | int) -> WebhookDelivery:
    """One delivery with its attempts, oldest first."""
    parsed = _parse_id(delivery_id)
    delivery = (
        WebhookDelivery.objects.filter(merchant_id=merchant_id, pk=parsed)
        .prefetch_related(Prefetch("attempt_log", queryset=WebhookAttempt.objects.order_by("started_at", "id")))
        .first()
        if parsed
        else None
    )
    if delivery is None:
        raise WebhookDeliveryNotFound(f"Webhook delivery {delivery_id} does not exist.")
    return delivery


def deliveries_with_attempts(*, merchant_id: int, limit: int = 50) -> list[WebhookDelivery]:
    """The merchant's latest deliveries with their attempts, for the portal's overview."""
    return list(
        delivery_list(merchant_id=merchant_id)
        .select_related("endpoint")
        .prefetch_related(Prefetch("attempt_log", queryset=WebhookAttempt.objects.order_by("started_at", "id")))[:limit]
    )


def secrets_in_force(endpoint: WebhookEndpoint, *, now: datetime) -> list[str]:
    """The secrets that sign a request sent at `now`: the current one, and the previous during its overlap."""
    in_force = [endpoint.secret]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires is not None and expires > now:
        in_force.append(endpoint.previous_secret)
    return in_force


def deliveries_stuck(*, older_than: timedelta, sample: int = 10) -> list[StuckGroup]:
    """Deliveries to merchants that are not getting through: given up (dead), failing for longer
    than `older_than`, or due for longer than that without being sent (the sweeper is not running)."""
    now = timezone.now()
    D = WebhookDelivery.State
    return stuck_groups(
        center="webhooks",
        kind="webhook_delivery",
        queryset=WebhookDelivery.objects.select_related("endpoint"),
        reasons=[
            ("gave up (dead)", Q(state=D.DEAD)),
            ("endpoint failing", Q(state=D.FAILED, created_at__lt=now - older_than)),
            ("due, not sent", Q(state=D.PENDING, next_attempt_at__lt=now - older_than)),
        ],
        since_field="created_at",
        detail=lambda d: (
            f"{d.event_type} to {d.endpoint.url}, {d.attempts} attempt(s)"
            + (f": {d.last_error}" if d.last_error else "")
        ),
        sample=sample,
    )
