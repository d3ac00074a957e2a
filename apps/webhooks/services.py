"""Writes of merchant webhooks: endpoints and their secrets, the fan-out of order events into
deliveries, and the sending of due deliveries with retries.

Sending is at least once: a delivery is claimed by pushing its `next_attempt_at` past the
request's timeout (`SELECT ... FOR UPDATE SKIP LOCKED`, so concurrent sweepers take different
rows), the request goes out with no transaction or lock held, and the outcome is recorded
afterwards. A sweeper that dies in between leaves the claim to run out, and the delivery is sent
again with the same `webhook-id`, by which receivers recognise a repeat.
"""

import json
import logging
import random
import time
from datetime import datetime, timedelta

import httpx
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from apps.common import metrics
from apps.common.outbox import Event
from apps.webhooks import signing
from apps.webhooks.catalog import EVENT_TYPES, PUBLIC_TYPE_OF, WAREHOUSE_TYPES
from apps.webhooks.destinations import check_destination, pinned_destination
from apps.webhooks.exceptions import UnknownEventType, UnsafeWebhookUrl, WebhookEndpointDisabled
from apps.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from apps.webhooks.selectors import delivery_get, endpoint_get, secrets_in_force

logger = logging.getLogger(__name__)

D = WebhookDelivery.State
# After the n-th failure in a row the next attempt waits about RETRY_DELAYS[n-1] (the last
# repeats): the schedule of Standard Webhooks. Retries go on until `WEBHOOK_RETRY_HOURS` after
# the first attempt (at least 24 hours), then the delivery is dead.
RETRY_DELAYS = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
)
DEFAULT_SECRET_OVERLAP = timedelta(hours=24)
RESPONSE_EXCERPT_BYTES = 1000
USER_AGENT = "LogisticsPlatform-Webhooks/1.0"


def retry_delay(*, failures: int, rng: random.Random | None = None) -> timedelta:
    """How long to wait after the `failures`-th failure in a row: the step of the schedule, less
    a random part of up to half of it, so that endpoints that failed together (an outage) are not
    retried together. (Full jitter could retry a ten-hour step after seconds; half keeps the pace.)"""
    base = RETRY_DELAYS[min(max(failures, 1), len(RETRY_DELAYS)) - 1]
    return base * (rng or random).uniform(0.5, 1.0)


def _checked_event_types(event_types: list[str]) -> list[str]:
    unknown = sorted(set(event_types) - set(EVENT_TYPES))
    if unknown or not event_types:
        message = (
            gettext("Unknown event types: %(types)s.") % {"types": ", ".join(unknown)}
            if unknown
            else gettext("Choose at least one event type.")
        )
        raise UnknownEventType(message, extra={"fields": {"event_types": [message]}, "known": sorted(EVENT_TYPES)})
    return sorted(set(event_types))


def endpoint_create(
    *, merchant_id: int, url: str, event_types: list[str], description: str = "", enabled: bool = True
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; returns it and its signing secret, which is shown this once."""
    check_destination(url)
    secret = signing.new_secret()
    endpoint = WebhookEndpoint.objects.create(
        merchant_id=merchant_id,
        url=url,
        description=description,
        event_types=_checked_event_types(event_types),
        enabled=enabled,
        secret=secret,
    )
    return endpoint, secret


@transaction.atomic
def endpoint_update(
    *,
    merchant_id: int,
    endpoint_id: int | str,
    url: str | None = None,
    description: str | None = None,
    event_types: list[str] | None = None,
    enabled: bool | None = None,
) -> WebhookEndpoint:
    """Change what is given; enabling clears why it was disabled."""
    endpoint = endpoint_get(merchant_id=merchant_id, endpoint_id=endpoint_id)
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    if url is not None:
        check_destination(url)
        endpoint.url = url
    if description is not None:
        endpoint.description = description
    if event_types is not None:
        endpoint.event_types = _checked_event_types(event_types)
    if enabled is not None:
        endpoint.enabled = enabled
        endpoint.disabled_reason = "" if enabled else "disabled by the merchant"
    endpoint.save()
    return endpoint


def endpoint_delete(*, merchant_id: int, endpoint_id: int | str) -> None:
    """Remove an endpoint with its deliveries and their attempts."""
    endpoint_get(merchant_id=merchant_id, endpoint_id=endpoint_id).delete()


@transaction.atomic
def endpoint_rotate_secret(
    *, merchant_id: int, endpoint_id: int | str, overlap: timedelta = DEFAULT_SECRET_OVERLAP
) -> tuple[WebhookEndpoint, str]:
    """Make a new secret; the old one signs too for `overlap`, while the receiver switches over."""
    endpoint = endpoint_get(merchant_id=merchant_id, endpoint_id=endpoint_id)
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    secret = signing.new_secret()
    if overlap > timedelta(0):
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_secret_expires_at = timezone.now() + overlap
    else:
        endpoint.previous_secret, endpoint.previous_secret_expires_at = "", None
    endpoint.secret = secret
    endpoint.save()
    return endpoint, secret


def event_body(event: Event) -> dict:
    """What a receiver gets for an order event: the order as of that event, with its version;
    for a warehouse order's news, the warehouse order as of that event, with its own version."""
    payload = event.payload
    if PUBLIC_TYPE_OF[event.event_type] in WAREHOUSE_TYPES:
        return {
            "type": PUBLIC_TYPE_OF[event.event_type],
            "timestamp": event.created_at.isoformat(),
            "data": _warehouse_order_data(payload),
        }
    data = {
        "order_id": str(payload["order_id"]),
        "order_number": payload.get("order_number", ""),
        "reference": payload.get("reference", ""),
        "state": payload.get("state", ""),
        "version": payload.get("version"),
        "carrier": payload.get("carrier_code", ""),
        "service": payload.get("service_code", ""),
        "tracking_number": payload.get("tracking_number", ""),
    }
    if payload.get("reason"):
        data["reason"] = payload["reason"]
    return {"type": PUBLIC_TYPE_OF[event.event_type], "timestamp": event.created_at.isoformat(), "data": data}


def _warehouse_order_data(payload: dict) -> dict:
    data = {
        "order_id": str(payload["order_id"]),
        "warehouse_order_id": str(payload["warehouse_order_id"]),
        "warehouse": payload.get("warehouse_code", ""),
        "state": payload.get("state", ""),
        "version": payload.get("version"),
        "lines": payload.get("lines", []),
        "parcels": payload.get("parcels", []),
        "backorder_of": str(payload["backorder_of"]) if payload.get("backorder_of") else None,
    }
    if payload.get("reason"):
        data["reason"] = payload["reason"]
    return data


def event_id_of(event: Event) -> str:
    return f"evt_{event.id}"


def deliveries_fan_out(*, event: Event) -> None:
    """One delivery per enabled endpoint of the event's merchant that wants its type; a repeat
    of the same event adds none."""
    public_type = PUBLIC_TYPE_OF.get(event.event_type)
    if public_type is None or event.merchant_id is None:
        return
    endpoints = list(
        WebhookEndpoint.objects.filter(merchant_id=event.merchant_id, enabled=True, event_types__contains=[public_type])
        .only("id")
        .order_by("id")
    )
    if not endpoints:
        return
    body = json.dumps(event_body(event), separators=(",", ":"), ensure_ascii=False)
    now = timezone.now()
    WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                merchant_id=event.merchant_id,
                endpoint_id=endpoint.id,
                event_id=event_id_of(event),
                event_type=public_type,
                order_id=int(event.payload["order_id"]),
                body=body,
                next_attempt_at=now,
                retry_until=now + timedelta(hours=settings.WEBHOOK_RETRY_HOURS),
            )
            for endpoint in endpoints
        ],
        ignore_conflicts=True,
    )


@transaction.atomic
def delivery_redeliver(*, merchant_id: int, delivery_id: int | str) -> WebhookDelivery:
    """Send a delivery again soon, whatever became of it, with a fresh round of retries."""
    delivery = delivery_get(merchant_id=merchant_id, delivery_id=delivery_id)
    delivery = WebhookDelivery.objects.select_for_update(of=("self",)).select_related("endpoint").get(pk=delivery.pk)
    if not delivery.endpoint.enabled:
        raise WebhookEndpointDisabled(
            gettext("The endpoint is disabled; enable it before asking for a redelivery."),
            extra={"endpoint_id": str(delivery.endpoint_id)},
        )
    now = timezone.now()
    delivery.state = D.PENDING
    delivery.failures = 0
    delivery.next_attempt_at = now
    delivery.retry_until = now + timedelta(hours=settings.WEBHOOK_RETRY_HOURS)
    delivery.save(update_fields=["state", "failures", "next_attempt_at", "retry_until", "updated_at"])
    return delivery


def _claim_next_due(*, skip_endpoints: set[int]) -> WebhookDelivery | None:
    now = timezone.now()
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("endpoint")
            .filter(state__in=[D.PENDING, D.FAILED], next_attempt_at__lte=now, endpoint__enabled=True)
            .exclude(endpoint_id__in=skip_endpoints)
            .order_by("next_attempt_at", "id")
            .first()
        )
        if delivery is None:
            return None
        claim_until = now + timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS + 60)
        WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=claim_until)
    return delivery


def _http_client() -> httpx.Client:
    # No redirects (a 3xx is a failure, and following it would bypass the address check); no
    # proxies from the environment.
    return httpx.Client(timeout=settings.WEBHOOK_TIMEOUT_SECONDS, follow_redirects=False, trust_env=False)


def _post(client: httpx.Client, delivery: WebhookDelivery, started: datetime) -> tuple[int | None, str, str]:
    """Send one request; return (status code, response excerpt, error)."""
    endpoint = delivery.endpoint
    body = delivery.body.encode()
    try:
        # Checked again (the name may resolve elsewhere since registration), and sent to the very
        # address checked: the client resolving the name itself could get another (rebinding).
        destination = pinned_destination(endpoint.url)
    except UnsafeWebhookUrl as exc:
        return None, "", exc.message[:500]
    headers = {
        "host": destination.host_header,
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        **signing.signature_headers(
            secrets_in_force=secrets_in_force(endpoint, now=started),
            msg_id=delivery.event_id,
            body=body,
            timestamp=int(started.timestamp()),
        ),
    }
    try:
        with client.stream(
            "POST",
            destination.url,
            content=body,
            headers=headers,
            extensions={"sni_hostname": destination.server_name},
        ) as response:
            # Only the start of the answer is read, and for no longer than the timeout in all:
            # the read timeout applies to each chunk, and a receiver dripping bytes must not keep
            # a sweeper for long.
            excerpt, reading_until = b"", time.monotonic() + settings.WEBHOOK_TIMEOUT_SECONDS
            for chunk in response.iter_bytes():
                excerpt += chunk
                if len(excerpt) >= RESPONSE_EXCERPT_BYTES or time.monotonic() > reading_until:
                    break
            return response.status_code, excerpt[:RESPONSE_EXCERPT_BYTES].decode(errors="replace"), ""
    except httpx.HTTPError as exc:
        return None, "", f"{type(exc).__name__}: {exc}"[:500]


@transaction.atomic
def _record_attempt(
    *, delivery_id: int, started: datetime, duration_ms: int, status_code: int | None, excerpt: str, error: str
) -> WebhookDelivery | None:
    delivery = (
        WebhookDelivery.objects.select_for_update(of=("self",))
        .select_related("endpoint")
        .filter(pk=delivery_id)
        .first()
    )
    if delivery is None:
        return None  # its endpoint was removed while the request was out
    succeeded = status_code is not None and 200 <= status_code < 300
    WebhookAttempt.objects.create(
        merchant_id=delivery.merchant_id,
        delivery=delivery,
        started_at=started,
        duration_ms=duration_ms,
        status_code=status_code,
        succeeded=succeeded,
        response_excerpt=excerpt,
        error=error,
    )
    now = timezone.now()
    delivery.attempts += 1
    delivery.last_status_code = status_code
    delivery.last_error = error
    if succeeded:
        delivery.state, delivery.failures, delivery.next_attempt_at = D.SUCCEEDED, 0, None
    else:
        delivery.failures += 1
        if status_code == 410:
            # 410 Gone: the receiver says the endpoint is no more; stop sending to it.
            delivery.state, delivery.next_attempt_at = D.DEAD, None
            WebhookEndpoint.objects.filter(pk=delivery.endpoint_id).update(
                enabled=False, disabled_reason="the endpoint answered 410 Gone", updated_at=now
            )
        elif delivery.retry_until is None or now >= delivery.retry_until:
            delivery.state, delivery.next_attempt_at = D.DEAD, None
        else:
            delivery.state = D.FAILED
            delivery.next_attempt_at = now + retry_delay(failures=delivery.failures)
    delivery.save()
    return delivery


def delivery_attempt(*, delivery: WebhookDelivery, client: httpx.Client | None = None) -> WebhookDelivery | None:
    """Send a claimed delivery once and record the attempt and what comes next (None if its
    endpoint was removed meanwhile)."""
    started = timezone.now()
    clock = time.monotonic()
    if client is None:
        with _http_client() as own_client:
            status_code, excerpt, error = _post(own_client, delivery, started)
    else:
        status_code, excerpt, error = _post(client, delivery, started)
    seconds = time.monotonic() - clock
    if error:
        logger.info("webhook %s to endpoint %s failed: %s", delivery.event_id, delivery.endpoint_id, error)
    recorded = _record_attempt(
        delivery_id=delivery.pk,
        started=started,
        duration_ms=round(seconds * 1000),
        status_code=status_code,
        excerpt=excerpt,
        error=error,
    )
    metrics.WEBHOOK_SECONDS.observe(seconds)
    metrics.WEBHOOK_DELIVERIES.labels(outcome=str(recorded.state) if recorded is not None else "endpoint_removed").inc()
    return recorded


def deliveries_purge(*, older_than: timedelta | None = None) -> int:
    """Forget finished deliveries (succeeded or dead) past their retention, with their attempts;
    returns how many. Pending and failed ones stay, however old."""
    cutoff = timezone.now() - (older_than or timedelta(days=settings.WEBHOOK_RETENTION_DAYS))
    old = WebhookDelivery.objects.filter(state__in=[D.SUCCEEDED, D.DEAD], updated_at__lt=cutoff)
    return old.delete()[1].get(WebhookDelivery._meta.label, 0)


def deliveries_send_due(*, limit: int = 100) -> int:
    """Send up to `limit` due deliveries, one claim at a time; return how many were attempted.

    An endpoint that fails gets no more requests in this sweep: its other due deliveries wait
    for the next sweep, so a receiver that is down (each request waiting out the timeout) costs
    one timeout per sweep rather than one per delivery, and does not hold up other merchants'.
    """
    sent = 0
    failing: set[int] = set()
    # One client for the sweep: building one costs more than a request to a nearby receiver, and
    # its connections are reused for deliveries to the same endpoint.
    with _http_client() as client:
        while sent < limit:
            delivery = _claim_next_due(skip_endpoints=failing)
            if delivery is None:
                break
            outcome = delivery_attempt(delivery=delivery, client=client)
            if outcome is not None and outcome.state != D.SUCCEEDED:
                failing.add(outcome.endpoint_id)
            sent += 1
    return sent
