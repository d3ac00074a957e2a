"""`Idempotency-Key`: a retried POST is answered once and acted on once, even when retries race."""

import json
import threading
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apps.common.models import OutboxEvent
from apps.common.testing import run_concurrently
from apps.erp_api import views
from apps.erp_api.idempotency import Claim, idempotency_claim, idempotency_purge
from apps.erp_api.models import IdempotencyRecord
from apps.orders.models import Order
from apps.orders.tests.factories import create_order, order_payload

pytestmark = pytest.mark.clock

ORDERS = "/api/v1/orders/"


def _client(api_key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key}")
    return client


def _post(client, key: str | None, payload: dict | None = None, path: str = ORDERS):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(path, payload if payload is not None else order_payload(), format="json", **headers)


def test_a_retry_with_the_same_key_and_body_replays_the_first_answer_and_creates_nothing_more(
    api_client, cn_de_service
):
    first = _post(api_client, "key-1")

    retry = _post(api_client, "key-1")

    assert first.status_code == retry.status_code == 201
    assert retry.content == first.content
    assert retry["Content-Type"] == first["Content-Type"] == "application/json"
    assert retry["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Order.objects.count() == 1
    assert OutboxEvent.objects.filter(event_type="orders.order.accepted").count() == 1


def test_the_same_key_with_a_different_body_is_422_and_changes_nothing(api_client, cn_de_service):
    first = _post(api_client, "key-1", order_payload(reference="A"))

    other = _post(api_client, "key-1", order_payload(reference="B"))
    other_path = _post(api_client, "key-1", {}, path=f"{ORDERS}{first.json()['id']}/cancel/")

    assert other.status_code == other_path.status_code == 422
    assert other.json() == {
        "code": "idempotency_key_reused",
        "message": other.json()["message"],
        "extra": {"idempotency_key": "key-1"},
    }
    assert other_path.json()["code"] == "idempotency_key_reused"
    assert list(Order.objects.values_list("reference", "state")) == [("A", "accepted")]


def test_keys_are_per_merchant(api_client, other_client, merchant, other_merchant, cn_de_service):
    mine = _post(api_client, "shared-key")

    theirs = _post(other_client, "shared-key")

    assert mine.status_code == theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs
    assert mine.json()["id"] != theirs.json()["id"]
    assert Order.objects.filter(merchant=other_merchant).count() == 1


def test_an_error_answer_is_replayed_too(api_client, cn_de_service):
    payload = order_payload()
    payload["recipient"]["postal_code"] = "ABC"

    first = _post(api_client, "bad-1", payload)
    retry = _post(api_client, "bad-1", payload)

    assert first.status_code == retry.status_code == 400
    assert retry.content == first.content and retry["Idempotent-Replayed"] == "true"


def test_without_a_key_every_post_acts(api_client, cn_de_service):
    responses = [_post(api_client, None, order_payload(reference=f"R-{n}")) for n in range(2)]

    assert [r.status_code for r in responses] == [201, 201]
    assert Order.objects.count() == 2


@pytest.mark.parametrize("key", ["", "x" * 256, "has space", "ключ"])
def test_a_malformed_key_is_a_validation_error(api_client, cn_de_service, key):
    response = api_client.post(ORDERS, order_payload(), format="json", headers={"Idempotency-Key": key})

    assert response.status_code == 400
    assert list(response.json()["extra"]["fields"]) == ["Idempotency-Key"]
    assert not Order.objects.exists()


def test_cancel_is_idempotent_as_well(api_client, merchant):
    order = create_order(merchant_id=merchant.pk)
    path = f"{ORDERS}{order.id}/cancel/"

    first = _post(api_client, "cancel-1", {"reason": "x"}, path=path)
    retry = _post(api_client, "cancel-1", {"reason": "x"}, path=path)
    without_key = _post(api_client, None, {"reason": "x"}, path=path)

    assert (first.status_code, retry.status_code, without_key.status_code) == (200, 200, 409)
    assert retry.content == first.content and retry["Idempotent-Replayed"] == "true"


def test_a_server_error_gives_the_key_back_so_a_retry_acts(api_client, cn_de_service, monkeypatch):
    real_submit = views.order_submit

    def crash(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(views, "order_submit", crash)
    client = _client_raising_nothing(api_client)
    failed = _post(client, "key-1")
    monkeypatch.setattr(views, "order_submit", real_submit)

    retry = _post(api_client, "key-1")

    assert failed.status_code == 500
    assert failed.json()["code"] == "server_error"
    assert retry.status_code == 201 and "Idempotent-Replayed" not in retry
    assert Order.objects.count() == 1


def _client_raising_nothing(client: APIClient) -> APIClient:
    client.raise_request_exception = False
    return client


def test_records_are_kept_for_the_retention_and_purged_after(api_client, cn_de_service):
    _post(api_client, "old")
    _post(api_client, "new", order_payload(reference="NEW"))
    IdempotencyRecord.objects.filter(key="old").update(created_at=timezone.now() - timedelta(hours=25))

    purged = idempotency_purge()

    assert purged == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]


def test_a_key_past_its_retention_acts_as_new(api_client, cn_de_service):
    _post(api_client, "old", order_payload(reference="FIRST"))
    IdempotencyRecord.objects.filter(key="old").update(created_at=timezone.now() - timedelta(hours=25))

    again = _post(api_client, "old", order_payload(reference="SECOND"))

    assert again.status_code == 201 and "Idempotent-Replayed" not in again
    assert Order.objects.count() == 2


@pytest.mark.django_db(transaction=True)
class TestConcurrentRetries:
    def test_two_identical_posts_at_once_create_one_order(self, api_key, cn_de_service):
        responses = run_concurrently(*[lambda: _post(_client(api_key), "race-1")] * 2)

        statuses = sorted(r.status_code for r in responses)
        assert statuses in ([201, 201], [201, 409]), statuses
        created = [r for r in responses if r.status_code == 201]
        if len(created) == 2:  # the second started after the first had answered: a replay
            assert sum(r.has_header("Idempotent-Replayed") for r in created) == 1
            assert created[0].content == created[1].content
        else:
            assert next(r for r in responses if r.status_code == 409).json()["code"] == "idempotency_key_in_use"
        assert Order.objects.count() == 1
        assert OutboxEvent.objects.filter(event_type="orders.order.accepted").count() == 1

    def test_a_retry_while_the_first_is_running_is_409_then_replays_once_it_answered(
        self, api_key, cn_de_service, monkeypatch
    ):
        inside, release = threading.Event(), threading.Event()
        real_submit = views.order_submit

        def slow_submit(**kwargs):
            inside.set()
            assert release.wait(10)
            return real_submit(**kwargs)

        monkeypatch.setattr(views, "order_submit", slow_submit)

        def first():
            return _post(_client(api_key), "slow-1")

        def retry_while_running():
            assert inside.wait(10)
            try:
                return _post(_client(api_key), "slow-1")
            finally:
                release.set()

        first_response, during = run_concurrently(first, retry_while_running)
        after = _post(_client(api_key), "slow-1")

        assert first_response.status_code == 201
        assert during.status_code == 409 and during.json()["code"] == "idempotency_key_in_use"
        assert after.status_code == 201 and after["Idempotent-Replayed"] == "true"
        assert after.content == first_response.content
        assert Order.objects.count() == 1

    def test_many_retries_at_once_act_once(self, api_key, cn_de_service):
        responses = run_concurrently(*[lambda: _post(_client(api_key), "storm")] * 6)

        assert all(r.status_code in (201, 409) for r in responses)
        assert Order.objects.count() == 1
        bodies = {r.content for r in responses if r.status_code == 201}
        assert len(bodies) == 1

    def test_a_request_that_died_holding_the_key_can_be_retried_once_the_lock_runs_out(
        self, api_key, merchant, cn_de_service
    ):
        body = json.dumps(order_payload())
        # The first request claimed the key, and its worker was killed before it answered.
        claim = idempotency_claim(
            merchant_id=merchant.pk, key="crashed", method="POST", path=ORDERS, body=body.encode()
        )
        assert isinstance(claim, Claim)

        def send():
            return _client(api_key).post(ORDERS, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="crashed")

        too_soon = send()
        IdempotencyRecord.objects.filter(pk=claim.record_id).update(locked_until=timezone.now() - timedelta(seconds=1))

        takers = run_concurrently(*[send] * 3)

        assert too_soon.status_code == 409
        assert all(r.status_code in (201, 409) for r in takers)
        assert sum(r.status_code == 201 and not r.has_header("Idempotent-Replayed") for r in takers) == 1
        assert Order.objects.count() == 1
        record = IdempotencyRecord.objects.get(key="crashed")
        assert (record.state, record.response_status) == ("completed", 201)
