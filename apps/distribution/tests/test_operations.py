"""What operations staff see and can do about carriers and stuck deliveries in the admin."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.common.models import OutboxEvent
from apps.distribution.models import CarrierCall, DistributionOrder
from apps.distribution.services import distribution_order_create
from apps.merchants.tests.factories import UserFactory
from apps.orders.tests.factories import create_order
from apps.resources.tests.factories import CarrierFactory

pytestmark = pytest.mark.clock


@pytest.fixture
def staff_client(client, db):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def _calls(code, outcomes_and_ms):
    CarrierCall.objects.bulk_create(
        CarrierCall(
            carrier_code=code,
            operation="book",
            method="POST",
            path="shipments/",
            outcome=outcome,
            status_code=201 if outcome == "ok" else 503,
            duration_ms=ms,
        )
        for outcome, ms in outcomes_and_ms
    )


def test_carrier_health_shows_circuit_success_rate_and_latency(staff_client):
    CarrierFactory(code="steady-post")
    _calls("steady-post", [("ok", 100), ("ok", 200), ("ok", 300), ("failed", 400)])

    page = staff_client.get("/admin/distribution/distributionorder/carrier-health/")

    text = page.content.decode()
    assert page.status_code == 200
    row = text[text.index("steady-post") : text.index("</tr>", text.index("steady-post"))]
    assert "closed" in row and "75 %" in row and "250 ms" in row


def test_stuck_orders_are_listed_and_retry_asks_for_a_new_booking(staff_client, merchant):
    order = create_order(merchant_id=merchant.pk)
    stuck = distribution_order_create(
        order_id=order.pk, merchant_id=merchant.pk, carrier_code="test-post", service_code="standard", actor="t"
    )
    DistributionOrder.objects.filter(pk=stuck.pk).update(updated_at=timezone.now() - timedelta(hours=2))
    fresh_order = create_order(merchant_id=merchant.pk, reference="FRESH")
    fresh = distribution_order_create(
        order_id=fresh_order.pk, merchant_id=merchant.pk, carrier_code="test-post", service_code="standard", actor="t"
    )

    listing = staff_client.get("/admin/distribution/distributionorder/", {"stuck": "yes"})
    retried = staff_client.post(
        "/admin/distribution/distributionorder/", {"action": "retry_now", "_selected_action": [stuck.pk]}
    )

    assert listing.status_code == 200
    assert listing.context["cl"].result_count == 1
    assert [d.pk for d in listing.context["cl"].result_list] == [stuck.pk]
    assert retried.status_code == 302
    retry = OutboxEvent.objects.get(event_type="distribution.order.retry_requested")
    assert retry.payload["distribution_order_id"] == stuck.pk
    assert fresh.pk != stuck.pk


def test_a_distribution_order_page_lists_its_calls_without_secrets(staff_client, merchant):
    CarrierFactory(code="test-post", api_key="very-secret-credential")
    order = create_order(merchant_id=merchant.pk)
    distribution_order = distribution_order_create(
        order_id=order.pk, merchant_id=merchant.pk, carrier_code="test-post", service_code="standard", actor="t"
    )
    CarrierCall.objects.create(
        carrier_code="test-post",
        distribution_order_id=distribution_order.pk,
        operation="book",
        method="POST",
        path="shipments/",
        status_code=201,
        outcome="ok",
        duration_ms=87,
    )

    page = staff_client.get(f"/admin/distribution/distributionorder/{distribution_order.pk}/change/")

    text = page.content.decode()
    assert page.status_code == 200
    assert "POST shipments/" in text and "87 ms" in text
    assert "very-secret-credential" not in text
