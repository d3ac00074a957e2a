import pytest
from rest_framework.test import APIClient

from apps.common.testing import run_concurrently
from apps.orders.models import Order
from apps.orders.tests.factories import create_order

pytestmark = pytest.mark.django_db(transaction=True)


def _client(api_key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key}")
    return client


def test_two_cancel_requests_racing_get_one_200_and_one_409(merchant, api_key):
    order = create_order(merchant_id=merchant.pk)

    responses = run_concurrently(
        *[lambda: _client(api_key).post(f"/api/v1/orders/{order.id}/cancel/", {"reason": "x"}, format="json")] * 2
    )

    assert sorted(r.status_code for r in responses) == [200, 409]
    refusal = next(r for r in responses if r.status_code == 409).json()
    assert refusal["code"] == "order_not_cancellable" and refusal["extra"]["state"] == "cancelled"
    assert Order.objects.get(pk=order.pk).history.filter(to_state="cancelled").count() == 1


def test_cancel_with_a_stale_if_match_version_is_a_409_and_changes_nothing(merchant, api_key):
    order = create_order(merchant_id=merchant.pk)
    Order.objects.filter(pk=order.pk).update(version=3)

    response = _client(api_key).post(f"/api/v1/orders/{order.id}/cancel/", {}, format="json", HTTP_IF_MATCH='"2"')

    assert response.status_code == 409 and response.json()["code"] == "version_conflict"
    assert Order.objects.get(pk=order.pk).state == "accepted"


def test_cancel_with_the_current_version_succeeds(merchant, api_key):
    order = create_order(merchant_id=merchant.pk)

    response = _client(api_key).post(f"/api/v1/orders/{order.id}/cancel/", {}, format="json", HTTP_IF_MATCH="1")

    assert response.status_code == 200 and response.json()["state"] == "cancelled"
    assert response.json()["version"] == 2
