"""Order events become signed deliveries to the merchant's endpoints, over real HTTP, with retries."""

import itertools
import json
import random
import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from apps.common.models import OutboxEvent
from apps.merchants.tests.factories import MerchantFactory
from apps.orders.services import (
    order_advance,
    order_cancel,
    order_record_booking,
    order_schedule,
    order_start_fulfillment,
)
from apps.orders.tests.factories import create_order
from apps.webhooks import signing
from apps.webhooks.catalog import EVENT_TYPES
from apps.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from apps.webhooks.services import (
    RETRY_DELAYS,
    deliveries_purge,
    deliveries_send_due,
    delivery_attempt,
    delivery_redeliver,
    endpoint_create,
    endpoint_rotate_secret,
    retry_delay,
)
from apps.webhooks.tests.receiver import fan_out_pending

pytestmark = [pytest.mark.django_db, pytest.mark.clock]


def _deliver_an_order(merchant_id: int):
    order = create_order(merchant_id=merchant_id, reference="HOOK-1")
    order_schedule(order_id=order.pk, lane="test", actor="t")
    order_start_fulfillment(order_id=order.pk, actor="t")
    order_record_booking(order_id=order.pk, carrier_code="test-post", tracking_number="TP123", actor="t")
    order_advance(order_id=order.pk, target="out_for_delivery", actor="t", reason="carrier news")
    order_advance(order_id=order.pk, target="delivered", actor="t", reason="carrier news")
    return order


def _due_now() -> None:
    """Time passes: every retry that is scheduled is due."""
    WebhookDelivery.objects.filter(next_attempt_at__isnull=False).update(next_attempt_at=timezone.now())


def test_an_order_on_its_way_sends_signed_deliveries_with_stable_ids_and_rising_versions(receiver, merchant):
    endpoint, secret = endpoint_create(merchant_id=merchant.pk, url=receiver.url, event_types=list(EVENT_TYPES))
    order = _deliver_an_order(merchant.pk)

    fan_out_pending()
    sent = deliveries_send_due()

    expected_types = [
        "order.accepted",
        "order.booked",
        "order.handed_over",
        "order.in_transit",
        "order.out_for_delivery",
        "order.delivered",
    ]
    assert sent == len(expected_types) == len(receiver.requests)
    bodies = []
    for request in receiver.requests:
        signing.verify(secret=secret, headers=request.headers, body=request.body)  # raises if not
        bodies.append(json.loads(request.body))
        assert request.headers["content-type"] == "application/json"
    assert [b["type"] for b in bodies] == expected_types
    assert {b["data"]["order_id"] for b in bodies} == {str(order.pk)}
    versions = [b["data"]["version"] for b in bodies]
    assert versions == sorted(versions) and len(set(versions)) == len(versions)
    assert bodies[1]["data"]["tracking_number"] == "TP123" and bodies[1]["data"]["carrier"] == "test-post"
    assert bodies[-1]["data"]["state"] == "delivered"
    outbox_ids = {
        f"evt_{e.id}": e.event_type
        for e in OutboxEvent.objects.filter(event_type__in=list(EVENT_TYPES.values())).order_by("id")
    }
    assert [r.headers["webhook-id"] for r in receiver.requests] == [
        i for i, t in outbox_ids.items() if t.removeprefix("orders.") in expected_types
    ]
    assert set(WebhookDelivery.objects.filter(endpoint=endpoint).values_list("state", "attempts")) == {("succeeded", 1)}


def test_each_endpoint_gets_only_its_merchants_events_of_the_types_it_chose_and_each_once(receiver, merchant):
    only_delivered, _ = endpoint_create(merchant_id=merchant.pk, url=receiver.url, event_types=["order.delivered"])
    disabled, _ = endpoint_create(
        merchant_id=merchant.pk, url=receiver.url, event_types=list(EVENT_TYPES), enabled=False
    )
    someone_else = MerchantFactory()
    theirs, _ = endpoint_create(merchant_id=someone_else.pk, url=receiver.url, event_types=list(EVENT_TYPES))
    _deliver_an_order(merchant.pk)

    fan_out_pending()
    fan_out_pending()  # the relay may hand an event over twice
    deliveries_send_due()

    assert [json.loads(r.body)["type"] for r in receiver.requests] == ["order.delivered"]
    assert list(WebhookDelivery.objects.values_list("endpoint_id", flat=True)) == [only_delivered.pk]
    assert not WebhookDelivery.objects.filter(endpoint__in=[disabled, theirs]).exists()


def test_a_cancelled_order_is_announced(receiver, merchant):
    endpoint_create(merchant_id=merchant.pk, url=receiver.url, event_types=["order.cancelled"])
    order = create_order(merchant_id=merchant.pk, reference="HOOK-C")
    order_cancel(merchant_id=merchant.pk, order_id=order.pk, actor="t", reason="customer changed their mind")

    fan_out_pending()
    deliveries_send_due()

    body = json.loads(receiver.requests[0].body)
    assert body["type"] == "order.cancelled"
    assert body["data"]["state"] == "cancelled" and body["data"]["reason"] == "customer changed their mind"


def test_a_failing_endpoint_gets_its_attempts_recorded_and_a_retry_with_backoff_then_succeeds(receiver, merchant):
    endpoint_create(merchant_id=merchant.pk, url=receiver.url, event_types=["order.accepted"])
    create_order(merchant_id=merchant.pk, reference="HOOK-F")
    fan_out_pending()
    receiver.answer(500)

    before = timezone.now()
    assert deliveries_send_due() == 1
    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.last_status_code) == ("failed", 1, 500)
    assert before + RETRY_DELAYS[0] / 2 <= delivery.next_attempt_at <= timezone.now() + RETRY_DELAYS[0]
    attempt = WebhookAttempt.objects.get()
    assert (attempt.status_code, attempt.succeeded, attempt.response_excerpt) == (500, False, "answered 500")
    assert deliveries_send_due() == 0  # not due yet

    _due_now()
    assert deliveries_send_due() == 1

    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.next_attempt_at) == ("succeeded", 2, None)
    assert [a.status_code for a in WebhookAttempt.objects.order_by("id")] == [500, 200]
    first, second = receiver.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == delivery.event_id
    assert first.body == second.body


def test_the_backoff_grows_with_jitter_and_the_retries_span_at_least_24_hours():
    rng = random.Random(7)
    for failures, base in enumerate(RETRY_DELAYS, start=1):
        delays = {retry_delay(failures=failures, rng=rng) for _ in range(50)}
        assert all(base / 2 <= d <= base for d in delays)
        assert len(delays) > 1  # jittered
    assert retry_delay(failures=30, rng=rng) <= RETRY_DELAYS[-1]
    assert all(a < b for a, b in itertools.pairwise(RETRY_DELAYS))


def test_a_delivery_that_keeps_failing_is_retried_for_24_hours_and_then_dead(receiver, merchant):
    endpoint_create(merchant_id=merchant.pk, url=receiver.url, event_types=["order.accepted"])
    create_order(merchant_id=merchant.pk, reference="HOOK-D")
    fan_out_pending()
    receiver.answer(*[503] * 30)

    elapsed = timedelta(0)
    while True:
        deliveries_send_due()
        delivery = WebhookDelivery.objects.get()
        if delivery.state == "dead":
            break
        # Let the scheduled wait pass by moving the delivery's clock back instead of ours.
        wait = delivery.next_attempt_at - timezone.now()
        elapsed += wait
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            next_attempt_at=timezone.now(), retry_until=delivery.retry_until - wait
        )

    assert elapsed >= timedelta(hours=24) - RETRY_DELAYS[-1]
    assert delivery.attempts == len(receiver.requests) == WebhookAttempt.objects.count()
    assert 7 <= delivery.attempts <= 12, delivery.attempts
    assert delivery.next_attempt_at is None
    deliveries_send_due()
    assert WebhookAttempt.objects.count() == delivery.attempts  # dead stays dead


def test_redeliver_sends_again_with_the_same_id_as_a_new_attempt(receiver, merchant):
    endpoint_create(merchant_id=merchant.pk, url=receiver.url, event_types=["order.accepted"])
    create_order(merchant_id=merchant.pk, reference="HOOK-R")
    fan_out_pending()
    deliveries_send_due()
    delivery = WebhookDelivery.objects.get()

    delivery_redeliver(merchant_id=merchant.pk, delivery_id=delivery.pk)
    assert WebhookDelivery.objects.get().state == "pending"
    deliveries_send_due()

    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("succeeded", 2)
    assert [r.headers["webhook-id"] for r in receiver.requests] == [delivery.event_id] * 2


def test_during_a_rotation_both_secrets_sign_and_afterwards_only_the_new_one(receiver, merchant):
    endpoint, old_secret = endpoint_create(merchant_id=merchant.pk, url=receiver.url, event_types=["order.accepted"])
    endpoint, new_secret = endpoint_rotate_secret(
        merchant_id=merchant.pk, endpoint_id=endpoint.pk, overlap=timedelta(hours=1)
    )
    create_order(merchant_id=merchant.pk, reference="HOOK-ROT-1")
    fan_out_pending()
    deliveries_send_due()

    during = receiver.requests[-1]
    assert len(during.headers["webhook-signature"].split()) == 2
    signing.verify(secret=old_secret, headers=during.headers, body=during.body)
    signing.verify(secret=new_secret, headers=during.headers, body=during.body)

    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(previous_secret_expires_at=timezone.now())
    create_order(merchant_id=merchant.pk, reference="HOOK-ROT-2")
    fan_out_pending()
    deliveries_send_due()

    after = receiver.requests[-1]
    assert len(after.headers["webhook-signature"].split()) == 1
    signing.verify(secret=new_secret, headers=after.headers, body=after.body)
    with pytest.raises(signing.InvalidSignature):
        signing.verify(secret=old_secret, headers=after.headers, body=after.body)


def test_verify_refuses_a_changed_body_a_wrong_secret_and_a_stale_timestamp(receiver, merchant):
    _, secret = endpoint_create(merchant_id=merchant.pk, url=receiver.url, event_types=["order.accepted"])
    create_order(merchant_id=merchant.pk, reference="HOOK-V")
    fan_out_pending()
    deliveries_send_due()
    request = receiver.requests[0]
    sent_at = int(request.headers["webhook-timestamp"])

    signing.verify(secret=secret, headers=request.headers, body=request.body)
    for secret_, body, now in [
        (secret, request.body.replace(b"HOOK-V", b"HOOK-X"), None),
        (signing.new_secret(), request.body, None),
        (secret, request.body, sent_at + 301),
    ]:
        with pytest.raises(signing.InvalidSignature):
            signing.verify(secret=secret_, headers=request.headers, body=body, now=now)


def test_410_gone_disables_the_endpoint_and_a_redirect_is_not_followed(receiver, merchant):
    gone, _ = endpoint_create(merchant_id=merchant.pk, url=receiver.url, event_types=["order.accepted"])
    moved, _ = endpoint_create(merchant_id=merchant.pk, url=receiver.url + "moved/", event_types=["order.accepted"])
    create_order(merchant_id=merchant.pk, reference="HOOK-G")
    fan_out_pending()
    receiver.answer(410, 302)

    deliveries_send_due()

    assert [r.path for r in receiver.requests] == ["/hooks/", "/hooks/moved/"]  # nothing to /elsewhere/
    gone.refresh_from_db()
    assert not gone.enabled and "410" in gone.disabled_reason
    assert WebhookDelivery.objects.get(endpoint=gone).state == "dead"
    assert WebhookDelivery.objects.get(endpoint=moved).state == "failed"
    assert WebhookDelivery.objects.get(endpoint=moved).last_status_code == 302


def test_an_unreachable_endpoint_is_an_attempt_with_the_error(merchant):
    endpoint_create(merchant_id=merchant.pk, url="http://127.0.0.1:9/closed/", event_types=["order.accepted"])
    create_order(merchant_id=merchant.pk, reference="HOOK-U")
    fan_out_pending()

    deliveries_send_due()

    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code is None and "ConnectError" in attempt.error
    assert WebhookDelivery.objects.get().state == "failed"


def test_the_verification_code_in_the_merchant_guide_accepts_our_requests_and_refuses_forgeries(receiver, merchant):
    guide = (settings.BASE_DIR / "docs" / "api.md").read_text()
    snippet = re.search(r"<!-- verify-snippet[^>]*-->\n```python\n(.*?)```", guide, re.DOTALL).group(1)
    namespace: dict = {}
    exec(snippet, namespace)  # noqa: S102 (our own documentation, run as a merchant would)
    verify_webhook = namespace["verify_webhook"]
    endpoint, old_secret = endpoint_create(merchant_id=merchant.pk, url=receiver.url, event_types=["order.accepted"])
    _, new_secret = endpoint_rotate_secret(merchant_id=merchant.pk, endpoint_id=endpoint.pk)
    create_order(merchant_id=merchant.pk, reference="HOOK-DOC")
    fan_out_pending()
    deliveries_send_due()
    request = receiver.requests[0]

    assert verify_webhook(new_secret, request.headers, request.body)
    assert verify_webhook(old_secret, request.headers, request.body)  # during the rotation's overlap
    assert not verify_webhook(signing.new_secret(), request.headers, request.body)
    assert not verify_webhook(new_secret, request.headers, request.body + b" ")


def test_an_endpoint_that_is_down_costs_one_request_per_sweep_and_holds_up_no_other(receiver, merchant):
    down, _ = endpoint_create(merchant_id=merchant.pk, url="http://127.0.0.1:9/down/", event_types=["order.accepted"])
    up, _ = endpoint_create(merchant_id=merchant.pk, url=receiver.url, event_types=["order.accepted"])
    for reference in ("DOWN-1", "DOWN-2", "DOWN-3"):
        create_order(merchant_id=merchant.pk, reference=reference)
    fan_out_pending()

    deliveries_send_due()

    assert WebhookAttempt.objects.filter(delivery__endpoint=down).count() == 1
    assert WebhookDelivery.objects.filter(endpoint=up, state="succeeded").count() == len(receiver.requests) == 3
    waiting = WebhookDelivery.objects.filter(endpoint=down, state="pending", next_attempt_at__lte=timezone.now())
    assert waiting.count() == 2  # still due: the next sweep tries again


def test_removing_an_endpoint_while_its_request_is_out_loses_nothing_else(receiver, merchant):
    endpoint, _ = endpoint_create(merchant_id=merchant.pk, url=receiver.url, event_types=["order.accepted"])
    create_order(merchant_id=merchant.pk, reference="GONE-1")
    fan_out_pending()
    delivery = WebhookDelivery.objects.select_related("endpoint").get()
    endpoint.delete()

    assert delivery_attempt(delivery=delivery) is None
    assert not WebhookAttempt.objects.exists()


def test_a_receiver_slower_than_the_timeout_is_a_failed_attempt(receiver, merchant, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.3
    receiver.delay_seconds = 1.5
    endpoint_create(merchant_id=merchant.pk, url=receiver.url, event_types=["order.accepted"])
    create_order(merchant_id=merchant.pk, reference="HOOK-SLOW")
    fan_out_pending()

    deliveries_send_due()

    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code is None and "Timeout" in attempt.error
    assert 300 <= attempt.duration_ms < 1500
    assert WebhookDelivery.objects.get().state == "failed"


def test_finished_deliveries_are_forgotten_after_the_retention_and_unfinished_ones_kept(receiver, merchant):
    endpoint_create(merchant_id=merchant.pk, url=receiver.url, event_types=["order.accepted"])
    for reference in ("OLD-OK", "OLD-DEAD", "OLD-FAILING", "NEW-OK"):
        create_order(merchant_id=merchant.pk, reference=reference)
    fan_out_pending()
    by_reference = {json.loads(d.body)["data"]["reference"]: d for d in WebhookDelivery.objects.all()}
    WebhookDelivery.objects.filter(pk=by_reference["OLD-DEAD"].pk).update(retry_until=timezone.now())
    receiver.answer(200, 500, 500)
    for _ in range(3):  # a failure ends a sweep's requests to the endpoint
        deliveries_send_due()
    assert {json.loads(d.body)["data"]["reference"]: d.state for d in WebhookDelivery.objects.all()} == {
        "OLD-OK": "succeeded",
        "OLD-DEAD": "dead",
        "OLD-FAILING": "failed",
        "NEW-OK": "succeeded",
    }
    long_ago = timezone.now() - timedelta(days=31)
    WebhookDelivery.objects.exclude(pk=by_reference["NEW-OK"].pk).update(updated_at=long_ago)

    assert deliveries_purge() == 2

    kept = {json.loads(d.body)["data"]["reference"] for d in WebhookDelivery.objects.all()}
    assert kept == {"OLD-FAILING", "NEW-OK"}
    assert set(WebhookAttempt.objects.values_list("delivery__state", flat=True)) == {"failed", "succeeded"}


def test_a_receiver_dripping_its_answer_keeps_the_sweeper_no_longer_than_the_timeout(receiver, merchant, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.5
    receiver.drip_seconds = 0.2  # "answered 200" would take 2.4 s, each byte well within the read timeout
    endpoint_create(merchant_id=merchant.pk, url=receiver.url, event_types=["order.accepted"])
    create_order(merchant_id=merchant.pk, reference="HOOK-DRIP")
    fan_out_pending()

    deliveries_send_due()

    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code == 200 and attempt.succeeded
    assert attempt.duration_ms < 1200, attempt.duration_ms
    assert attempt.response_excerpt and "answered 200".startswith(attempt.response_excerpt)
