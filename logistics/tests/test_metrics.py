"""/metrics: refused without the token (from localhost too), and the platform's figures with it."""

import pytest
from prometheus_client.parser import text_string_to_metric_families

from apps.orders.tests.factories import order_payload

pytestmark = pytest.mark.django_db

TOKEN = "scrape-token-1"  # noqa: S105 (a test's own)


def samples(body: bytes) -> dict[tuple[str, frozenset], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
    }


def value(scraped, name: str, **labels) -> float | None:
    return scraped.get((name, frozenset(labels.items())))


def test_without_a_configured_token_metrics_refuse_everyone(client, settings):
    settings.METRICS_TOKEN = ""

    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer anything").status_code == 403


def test_metrics_ask_localhost_for_the_token_too(client, settings):
    settings.METRICS_TOKEN = TOKEN

    missing = client.get("/metrics", REMOTE_ADDR="127.0.0.1")
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-token-2", REMOTE_ADDR="127.0.0.1")
    not_bearer = client.get("/metrics", HTTP_AUTHORIZATION=f"Basic {TOKEN}")

    assert missing.status_code == wrong.status_code == not_bearer.status_code == 401
    assert missing["WWW-Authenticate"].startswith("Bearer")
    assert b"logistics_" not in missing.content + wrong.content + not_bearer.content
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200


def test_metrics_count_requests_by_view_and_read_the_database_facts(client, api_client, cn_de_service, settings):
    settings.METRICS_TOKEN = TOKEN
    scrape = lambda: samples(client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content)  # noqa: E731
    before = scrape()
    health_before = value(before, "logistics_http_requests_total", view="health", method="GET", status="200") or 0

    client.get("/health/")
    client.get("/health/")
    client.get("/no/such/page/")
    created = api_client.post("/api/v1/orders/", order_payload(reference="M-1"), format="json")
    assert created.status_code == 201

    after = scrape()
    assert value(after, "logistics_http_requests_total", view="health", method="GET", status="200") == health_before + 2
    assert value(after, "logistics_http_requests_total", view="unmatched", method="GET", status="404") >= 1
    assert value(after, "logistics_http_requests_total", view="erp_api:order-list", method="POST", status="201") >= 1
    assert value(after, "logistics_http_request_duration_seconds_count", view="erp_api:order-list") >= 1
    assert value(after, "logistics_orders", state="accepted") == 1
    assert value(after, "logistics_orders", state="in_transit") == 0
    assert value(after, "logistics_orders_closed_estimate", state="delivered") is not None
    assert value(after, "logistics_outbox_unrelayed_events") >= 1  # the order's accepted event
    assert value(after, "logistics_outbox_oldest_unrelayed_seconds") >= 0
    assert value(after, "logistics_outbox_deliveries_waiting") == 0
    # No path and no id among the labels: /no/such/page/ is one more "unmatched".
    assert not any("/no/such" in str(labels) for _, labels in after)


def test_lane_depth_and_circuits_come_from_the_lanes(client, api_client, cn_de_service, settings):
    from apps.common import outbox

    settings.METRICS_TOKEN = TOKEN
    assert api_client.post("/api/v1/orders/", order_payload(reference="M-2"), format="json").status_code == 201
    outbox.drain(run_tasks=False)  # scheduled: the booking waits on the carrier's lane, released

    scraped = samples(client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content)
    lane = "carrier:test-post"
    assert value(scraped, "logistics_lane_work", lane=lane, state="released") == 1
    assert value(scraped, "logistics_lane_work", lane=lane, state="queued") == 0
    assert value(scraped, "logistics_lane_paused", lane=lane) == 0
    assert value(scraped, "logistics_carrier_circuit_state", carrier="test-post", state="closed") == 1
    assert value(scraped, "logistics_carrier_circuit_state", carrier="test-post", state="open") == 0
