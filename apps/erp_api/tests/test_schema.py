"""The OpenAPI schema and docs, and Schemathesis run against the live server over every operation."""

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import schemathesis
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import AcceptedNegativeData
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from apps.common.models import OutboxEvent
from apps.common.outbox import Event
from apps.distribution.gateways import TrackingUpdate
from apps.distribution.services import distribution_order_book, distribution_order_create, tracking_apply
from apps.distribution.tests.test_distribution_services import FixedGateway
from apps.erp_api.idempotency import HEADER
from apps.merchants.services import api_key_issue
from apps.orders.tests.factories import create_order
from apps.webhooks.services import deliveries_fan_out, endpoint_create

ISSUE_OPERATIONS = {
    ("post", "/api/v1/orders/"),
    ("post", "/api/v1/orders/bulk/"),
    ("get", "/api/v1/orders/"),
    ("get", "/api/v1/orders/{order_id}/"),
    ("post", "/api/v1/orders/{order_id}/cancel/"),
    ("get", "/api/v1/orders/{order_id}/label/"),
    ("get", "/api/v1/orders/{order_id}/events/"),
    ("post", "/api/v1/webhooks/endpoints/"),
    ("get", "/api/v1/webhooks/endpoints/"),
    ("get", "/api/v1/webhooks/endpoints/{endpoint_id}/"),
    ("patch", "/api/v1/webhooks/endpoints/{endpoint_id}/"),
    ("delete", "/api/v1/webhooks/endpoints/{endpoint_id}/"),
    ("post", "/api/v1/webhooks/endpoints/{endpoint_id}/rotate-secret/"),
    ("get", "/api/v1/webhooks/deliveries/"),
    ("get", "/api/v1/webhooks/deliveries/{delivery_id}/"),
    ("post", "/api/v1/webhooks/deliveries/{delivery_id}/redeliver/"),
}


def test_the_schema_is_openapi_3_with_every_operation_the_issue_lists(client, db):
    response = client.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    operations = {(m, p) for p, ops in schema["paths"].items() for m in ops}
    assert operations >= ISSUE_OPERATIONS
    assert schema["components"]["securitySchemes"]["ApiKey"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "lgk_<prefix>_<secret>",
        "description": schema["components"]["securitySchemes"]["ApiKey"]["description"],
    }
    assert all(not p.startswith(("/admin", "/sandbox", "/webhooks")) for p in schema["paths"])


def test_every_post_is_documented_with_idempotency_key_and_every_operation_with_its_errors(client, db):
    schema = client.get("/api/schema/", {"format": "json"}).json()

    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert "429" in responses, (method, path)
            if operation.get("security") != [{}]:
                assert {"401", "403"} <= set(responses), (method, path)
            if method == "post":
                assert HEADER in [p["name"] for p in operation["parameters"]], (method, path)
                assert {"400", "409", "413", "415", "422"} <= set(responses), (method, path)
            for code, response in responses.items():
                if code >= "400":
                    assert response["content"]["application/json"]["schema"] == {
                        "$ref": "#/components/schemas/ErrorOutput"
                    }


def test_every_post_view_honours_idempotency_keys(client, db):
    """A new POST endpoint without `@idempotent` fails here."""
    from django.urls import resolve

    schema = client.get("/api/schema/", {"format": "json"}).json()
    for path, operations in schema["paths"].items():
        if "post" in operations:
            view = resolve(re.sub(r"\{[^}]+\}", "1", path)).func.view_class
            assert getattr(view.post, "idempotent", False), f"{path}: decorate post with @idempotent"


@pytest.mark.django_db(transaction=True)
def test_the_docs_work_offline_from_local_assets(live_server):
    with httpx.Client(base_url=live_server.url, timeout=10) as http:
        page = http.get("/api/docs/")
        assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        fetched = {asset: http.get(asset).status_code for asset in assets if not asset.startswith("data:")}
        init_script = http.get("/api/docs/", params={"script": ""})
        redoc = http.get("/api/redoc/")

    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "swagger-ui" in page.text
    assert all(not asset.startswith(("http://", "https://", "//")) for asset in assets), assets
    assert any(asset.endswith("swagger-ui-bundle.js") for asset in fetched)
    assert set(fetched.values()) == {200}, fetched
    assert init_script.status_code == 200 and "/api/schema/" in init_script.text
    assert redoc.status_code == 200 and "redoc" in redoc.text.lower()
    assert "cdn" not in page.text.lower() and "cdn" not in redoc.text.lower()


# Schemathesis against the live schema


@pytest.fixture
def merchant_objects(merchant, cn_de_service):
    """A booked order with a label and a tracking event, and a plain accepted one."""
    booked = create_order(merchant_id=merchant.pk, reference="LIVE-1")
    leg = distribution_order_create(
        order_id=booked.pk, merchant_id=merchant.pk, carrier_code="test-post", service_code="standard", actor="t"
    )
    distribution_order_book(distribution_order_id=leg.pk, gateway=FixedGateway())
    tracking_apply(
        distribution_order_id=leg.pk,
        updates=[TrackingUpdate("in_transit", "DEP", "Departed", "Shenzhen", timezone.now() + timedelta(minutes=1))],
    )
    accepted = create_order(merchant_id=merchant.pk, reference="LIVE-2")
    endpoint, _ = endpoint_create(
        merchant_id=merchant.pk, url="http://127.0.0.1:9/live/", event_types=["order.accepted"]
    )
    row = OutboxEvent.objects.get(event_type="orders.order.accepted", aggregate_id=str(accepted.id))
    deliveries_fan_out(event=Event.from_row(row))
    return {
        "order_id": [str(booked.id), booked.number, str(accepted.id), accepted.number],
        "endpoint_id": [str(endpoint.id)],
        "delivery_id": [str(endpoint.deliveries.get().id)],
    }


def negative_data_rejection_as_sent(ctx, response, case):
    """Schemathesis' check, less one false alarm: a query value it mutated to null or [] goes
    out as `name=`, which the schema documents as "not given" (allowEmptyValue, and "" among
    the choices), so the API rightly answers it. Anything else accepted still fails."""
    try:
        return negative_data_rejection(ctx, response, case)
    except AcceptedNegativeData:
        sent = parse_qs(urlsplit(response.request.url).query, keep_blank_values=True)
        description = getattr(case.meta.phase.data, "description", "") or ""
        mutated = set(re.findall(r"query: violates .*? at /properties/([^/\s]+)", description))
        if mutated and all(sent.get(name, [""]) == [""] for name in mutated):
            return None
        # A mutation that drops the Authorization header is never sent (the run's headers put the
        # key back); with only documented query parameters sent, and each blank ("not given"),
        # what went out was a valid request.
        headers = re.findall(r"header: violates [^\n]*", description)
        documented = {p.name for p in case.operation.query}
        if (
            headers
            and all("(was Authorization)" in h for h in headers)
            and set(sent) <= documented
            and all(values == [""] for values in sent.values())
        ):
            return None
        raise


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection_as_sent,
]
EXAMPLES = 30  # per operation and mode: the whole run stays well under a minute


def _fuzz(strategy, *, headers: dict, max_examples: int) -> None:
    @given(case=strategy)
    @hypothesis_settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        checks = CHECKS
        if case.operation.path == "/api/v1/orders/bulk/":
            # A bulk answers invalid orders one by one (200 with a result per order), by design.
            checks = [c for c in CHECKS if c is not negative_data_rejection_as_sent]
        response = case.call_and_validate(headers=headers, checks=checks)
        if case.operation.path == "/api/v1/orders/bulk/" and response.status_code == 200:
            crashed = [r for r in response.json()["results"] if r["status"] >= 500]
            assert not crashed, crashed

    run()


def test_the_live_api_conforms_to_its_schema_and_never_fails_on_its_side(
    transactional_db, live_server, merchant, merchant_objects, settings
):
    """Every operation of the served schema, with generated valid and invalid requests, and
    with the merchant's real order ids in the paths (so success answers are checked too)."""
    settings.API_RATE_LIMIT_BURST = 1_000_000  # the fuzzer is not what the limit is about
    _, plaintext = api_key_issue(merchant=merchant, name="schemathesis")
    headers = {"Authorization": f"Bearer {plaintext}"}
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/schema/?format=json")
    failures, seen = [], set()

    for result in schema.get_all_operations():
        operation = result.ok()
        seen.add((operation.method.lower(), operation.path))
        runs = [operation.as_strategy(generation_mode=mode) for mode in GenerationMode]
        for name, reals in merchant_objects.items():
            # Real ids, so that success answers are checked too (but not deleted before the rest ran).
            if f"{{{name}}}" in operation.path and operation.method.lower() != "delete":
                runs += [operation.as_strategy(path_parameters={name: real}) for real in reals]
        for strategy in runs:
            try:
                _fuzz(strategy, headers=headers, max_examples=EXAMPLES)
            except (Exception, BaseExceptionGroup) as exc:  # Schemathesis' FailureGroup is a BaseExceptionGroup
                failures.append(f"{operation.label}: {exc}")

    assert seen >= ISSUE_OPERATIONS
    assert not failures, "\n\n".join(failures)


def test_the_schema_generates_without_warnings_and_validates(tmp_path, db):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))

    assert (tmp_path / "schema.yaml").read_text().startswith("openapi: 3.")
