"""The circuit breaker: shared state, opening on a run of failures, waiting, probing."""

import subprocess
import sys
import threading
import time

import pytest

from apps.common import breaker
from apps.common.testing import process_env, run_concurrently
from apps.distribution.exceptions import BookingDeferred, CarrierTransientError
from apps.distribution.health import CircuitOpen, circuit_status, guarded_call
from apps.distribution.models import CarrierCall, DistributionOrder
from apps.distribution.services import distribution_order_book, distribution_order_create
from apps.distribution.tests.test_distribution_services import FixedGateway
from apps.orders.tests.factories import create_order
from apps.resources.tests.factories import CoverageFactory


class DownGateway:
    def __init__(self):
        self.calls = 0

    def book(self, request):
        self.calls += 1
        raise CarrierTransientError("carrier answered 503 to shipments/")


@pytest.fixture
def distribution_orders(merchant, settings):
    settings.CARRIER_BREAKER_FAIL_MAX = 3
    settings.MAX_BOOKING_ATTEMPTS = 10
    made = []
    for i in range(5):
        order = create_order(merchant_id=merchant.pk, reference=f"B-{i}")
        made.append(
            distribution_order_create(
                order_id=order.pk,
                merchant_id=merchant.pk,
                carrier_code="flaky-post",
                service_code="standard",
                actor="test",
            )
        )
    return made


def test_a_run_of_failures_opens_the_circuit_and_later_bookings_wait_without_calling(distribution_orders):
    gateway = DownGateway()

    deferrals = []
    for distribution_order in distribution_orders:
        with pytest.raises(BookingDeferred) as deferred:
            distribution_order_book(distribution_order_id=distribution_order.pk, gateway=gateway)
        deferrals.append(deferred.value)

    assert gateway.calls == 3  # the fourth and fifth never reached the carrier
    assert circuit_status("flaky-post").state == "open"
    assert all(d.retry_in > 1 for d in deferrals[3:])
    waiting = DistributionOrder.objects.get(pk=distribution_orders[4].pk)
    assert (waiting.state, waiting.booking_attempts) == ("created", 0)  # waiting costs no attempt


def test_the_circuit_state_is_shared_by_every_process(distribution_orders):
    for distribution_order in distribution_orders[:3]:
        with pytest.raises(BookingDeferred):
            distribution_order_book(distribution_order_id=distribution_order.pk, gateway=DownGateway())

    seen_elsewhere = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from apps.distribution.health import circuit_status;"
            " print(circuit_status('flaky-post').state)",
        ],
        env=process_env(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()

    assert seen_elsewhere == "open"


def test_after_the_reset_timeout_a_successful_probe_closes_the_circuit(distribution_orders, settings):
    settings.CARRIER_BREAKER_RESET_SECONDS = 0.0
    for distribution_order in distribution_orders[:3]:
        with pytest.raises(BookingDeferred):
            distribution_order_book(distribution_order_id=distribution_order.pk, gateway=DownGateway())

    booked = distribution_order_book(distribution_order_id=distribution_orders[3].pk, gateway=FixedGateway())

    assert booked.state == "booked"
    assert circuit_status("flaky-post").state == "closed"


def test_retries_are_bounded_and_then_booking_fails_for_good(distribution_orders, settings):
    settings.MAX_BOOKING_ATTEMPTS = 2
    settings.CARRIER_BREAKER_FAIL_MAX = 100
    target = distribution_orders[0]

    with pytest.raises(BookingDeferred):
        distribution_order_book(distribution_order_id=target.pk, gateway=DownGateway())
    final = distribution_order_book(distribution_order_id=target.pk, gateway=DownGateway())

    assert final.state == "booking_failed"
    assert "gave up after 2 attempts" in final.last_error


@pytest.mark.django_db(transaction=True)
def test_every_call_to_the_sandbox_is_logged_without_secrets(live_server, merchant, settings):
    settings.SANDBOX_API_KEY = "top-secret-key"
    CoverageFactory(
        service__carrier__code="logged-post",
        service__carrier__api_key="top-secret-key",
        service__carrier__endpoint_url=f"{live_server.url}/sandbox/carriers/logged-post/",
    )
    order = create_order(merchant_id=merchant.pk, route=None)
    distribution_order = distribution_order_create(
        order_id=order.pk, merchant_id=merchant.pk, carrier_code="logged-post", service_code="standard", actor="t"
    )

    distribution_order_book(distribution_order_id=distribution_order.pk)

    call = CarrierCall.objects.get(distribution_order_id=distribution_order.pk)
    assert (call.operation, call.method, call.status_code, call.outcome) == ("book", "POST", 201, "ok")
    assert call.duration_ms >= 0
    assert "top-secret-key" not in str(vars(call))


def test_only_one_caller_probes_a_half_open_circuit(settings, db):
    settings.CARRIER_BREAKER_FAIL_MAX = 1
    settings.CARRIER_BREAKER_RESET_SECONDS = 0.0
    with pytest.raises(CarrierTransientError):
        guarded_call("probe-post", DownGateway().book, None)
    release = threading.Event()

    def slow_probe():
        release.wait(5)
        return "answered"

    def second_caller():
        time.sleep(0.3)
        try:
            return guarded_call("probe-post", lambda: "answered")
        finally:
            release.set()

    probe, second = run_concurrently(lambda: guarded_call("probe-post", slow_probe), second_caller)

    assert probe == "answered"
    assert isinstance(second, CircuitOpen)
    assert circuit_status("probe-post").state == "closed"


def test_calls_through_a_closed_circuit_run_side_by_side(db):
    inside, most = 0, 0
    lock = threading.Lock()

    def carrier_call():
        nonlocal inside, most
        with lock:
            inside += 1
            most = max(most, inside)
        time.sleep(0.2)
        with lock:
            inside -= 1
        return "ok"

    results = run_concurrently(*[lambda: guarded_call("busy-post", carrier_call)] * 8)

    assert results == ["ok"] * 8
    assert most == 8  # nothing serialises calls to one carrier


@pytest.fixture
def redis_unreachable(settings, monkeypatch):
    """The breaker's Redis refuses connections (nothing listens on port 1)."""
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    monkeypatch.setattr(breaker, "_client", None)


def test_with_redis_unreachable_the_circuit_is_unknown_and_holds_calls(redis_unreachable, settings):
    settings.CARRIER_BREAKER_UNKNOWN_RETRY_SECONDS = 7.0
    gateway = FixedGateway()

    status = circuit_status("flaky-post")
    with pytest.raises(CircuitOpen) as held:
        guarded_call("flaky-post", gateway.book, None)

    assert (status.state, status.taking_calls, status.retry_in_seconds) == ("unknown", False, 7.0)
    assert held.value.retry_in == 7.0
    assert gateway.calls == 0  # unknown is never taken for closed


def test_with_redis_unreachable_a_booking_waits_without_calling_or_spending_an_attempt(
    distribution_orders, redis_unreachable
):
    gateway = FixedGateway()

    with pytest.raises(BookingDeferred) as deferred:
        distribution_order_book(distribution_order_id=distribution_orders[0].pk, gateway=gateway)

    assert "unknown" in str(deferred.value)
    assert deferred.value.retry_in >= 10.0
    assert gateway.calls == 0
    waiting = DistributionOrder.objects.get(pk=distribution_orders[0].pk)
    assert (waiting.state, waiting.booking_attempts) == ("created", 0)


def test_a_call_made_before_redis_went_away_still_returns_its_answer(settings, db, monkeypatch):
    def answer_as_redis_goes():
        settings.REDIS_URL = "redis://127.0.0.1:1/0"
        monkeypatch.setattr(breaker, "_client", None)
        return "booked"

    assert guarded_call("gone-post", answer_as_redis_goes) == "booked"
