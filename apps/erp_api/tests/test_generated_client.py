"""The served OpenAPI schema passes the standard validator (openapi-spec-validator), and a client
generated from it by a mainstream generator (openapi-python-client, offline) drives every
operation of the API against a live server with a real key, its answers parsed into the
client's own models."""

import importlib
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename

from apps.common import outbox
from apps.common.models import OutboxEvent
from apps.common.outbox import Event
from apps.distribution.services import distribution_order_book, distribution_order_create
from apps.distribution.tests.test_distribution_services import FixedGateway
from apps.merchants.services import api_key_issue
from apps.orders.services import order_record_booking
from apps.orders.tests.factories import create_order, order_payload
from apps.warehouse.tests.stocked import stocked_warehouse
from apps.webhooks.services import deliveries_fan_out

GENERATOR = Path(sys.executable).parent / "openapi-python-client"
PACKAGE = "logistics_erp_client"


def test_the_served_schema_passes_the_standard_validator(client, db, tmp_path):
    response = client.get("/api/schema/", {"format": "json"})
    (tmp_path / "schema.json").write_bytes(response.content)

    spec, _ = read_from_filename(str(tmp_path / "schema.json"))
    validate(spec)  # raises on the first violation (it refused "" defaults below minLength)

    tracking = {p["name"]: p["schema"] for p in spec["paths"]["/api/v1/tracking/"]["get"]["parameters"]}
    assert all("default" not in schema for schema in tracking.values())


@pytest.fixture
def generated(live_server, tmp_path, monkeypatch):
    """The client package generated from the live server's schema, imported from a temp folder."""
    schema = tmp_path / "schema.json"
    schema.write_bytes(httpx.get(f"{live_server.url}/api/schema/?format=json", timeout=30).content)
    config = tmp_path / "generator.yaml"
    config.write_text("post_hooks: []\n")  # no formatter run: nothing but the generator itself
    command = [str(GENERATOR), "generate", "--path", str(schema), "--output-path", str(tmp_path / PACKAGE)]
    result = subprocess.run(
        [*command, "--meta", "none", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # Every operation generated in full, but for the one answer that is not JSON (the label PDF).
    said = result.stdout + result.stderr
    warnings = [line for line in said.splitlines() if line.startswith("WARNING")]
    assert warnings == ["WARNING parsing GET /api/v1/orders/{order_id}/label/ within orders."], said
    assert "Unsupported content_type application/pdf" in said
    monkeypatch.syspath_prepend(str(tmp_path))
    yield importlib.import_module(PACKAGE)
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
        del sys.modules[name]


def _operations(package) -> set[str]:
    api = Path(package.__file__).parent / "api"
    return {f"{tag.name}.{module.stem}" for tag in api.iterdir() if tag.is_dir() for module in tag.glob("[!_]*.py")}


@pytest.mark.django_db(transaction=True)
def test_a_generated_client_drives_every_operation(live_server, generated, merchant, cn_de_service, settings):
    settings.API_RATE_LIMIT_BURST = 10_000
    _, key = api_key_issue(merchant=merchant, name="generated-client")
    called: set[str] = set()
    # A booked order for the buyer's tracking (the news reaches the order as the relay brings it),
    # and one with a label at the carrier.
    booked = create_order(merchant_id=merchant.pk, reference="GEN-BOOKED")
    order_record_booking(order_id=booked.pk, carrier_code="test-post", tracking_number="SBGEN0000000001", actor="t")
    outbox.drain(run_tasks=False)
    labelled = create_order(merchant_id=merchant.pk, reference="GEN-LABEL")
    leg = distribution_order_create(
        order_id=labelled.pk, merchant_id=merchant.pk, carrier_code="test-post", service_code="standard", actor="t"
    )
    distribution_order_book(distribution_order_id=leg.pk, gateway=FixedGateway())

    def op(name: str):
        called.add(name)
        return importlib.import_module(f"{PACKAGE}.api.{name}")

    m = importlib.import_module(f"{PACKAGE}.models")
    api = generated.AuthenticatedClient(
        base_url=live_server.url, token=key, raise_on_unexpected_status=True, timeout=httpx.Timeout(30)
    )
    public = generated.Client(base_url=live_server.url, raise_on_unexpected_status=True)

    # Quotes and orders.
    rates = op("rates.rates_quote").sync(client=api, body=m.RatesInputRequest.from_dict(order_payload(reference="Q")))
    assert isinstance(rates, m.RatesOutput) and rates.options
    carrier_service = rates.options[0].carrier_service
    assert carrier_service == f"{cn_de_service.carrier.code}/{cn_de_service.code}"

    body = m.OrderInputRequest.from_dict(order_payload(reference="GEN-1", carrier_service=carrier_service))
    order = op("orders.orders_create").sync(client=api, body=body, idempotency_key="gen-1")
    assert isinstance(order, m.OrderDetailOutput) and order.state == "accepted" and order.reference == "GEN-1"
    replay = op("orders.orders_create").sync_detailed(client=api, body=body, idempotency_key="gen-1")
    assert replay.status_code == 201 and replay.parsed.id == order.id
    assert replay.headers["Idempotent-Replayed"] == "true"

    got = op("orders.orders_retrieve").sync(order_id=order.id, client=api)
    assert (got.id, got.number, got.version) == (order.id, order.number, order.version)
    listed = op("orders.orders_list").sync(client=api, reference="GEN-1")
    assert isinstance(listed, m.PaginatedOrderOutputList) and [o.id for o in listed.results] == [order.id]
    events = op("orders.orders_events").sync(order_id=order.id, client=api)
    assert isinstance(events, m.OrderEventsOutput)
    assert [(e.type_, e.state) for e in events.results] == [(m.OrderEventTypeEnum.STATE_CHANGED, "accepted")]
    wait = op("orders.orders_wait").sync(order_id=order.id, client=api)
    assert isinstance(wait, m.OrderWaitOutput)

    bulk_body = m.BulkOrderInputRequest.from_dict(
        {"orders": [order_payload(reference="GEN-2"), order_payload(reference="GEN-3")]}
    )
    bulk = op("orders.orders_bulk_create").sync(client=api, body=bulk_body)
    assert isinstance(bulk, m.BulkOrderOutput) and [r.status for r in bulk.results] == [201, 201]

    to_cancel = op("orders.orders_retrieve").sync(order_id=bulk.results[0].order.id, client=api)
    cancelled = op("orders.orders_cancel").sync(
        order_id=to_cancel.id,
        client=api,
        body=m.OrderCancelInputRequest(reason="changed my mind"),
        if_match=str(to_cancel.version),
    )
    assert isinstance(cancelled, m.OrderDetailOutput) and cancelled.state == "cancelled"

    exported = op("orders.orders_export").sync_detailed(client=api, reference="GEN-1")
    assert exported.status_code == 200 and "GEN-1" in exported.content.decode()

    # The label, and the buyer's tracking (no key).
    booked_out = op("orders.orders_retrieve").sync(order_id=str(booked.id), client=api)
    # The generator parses JSON only (it warns that it leaves the PDF answer out): the bytes come raw.
    lenient = generated.AuthenticatedClient(base_url=live_server.url, token=key)
    label = op("orders.orders_label").sync_detailed(order_id=str(labelled.id), client=lenient)
    assert booked_out.tracking_number == "SBGEN0000000001"
    assert label.status_code == 200 and label.content.startswith(b"%PDF-")
    tracked = op("tracking.tracking_retrieve").sync(client=public, tracking_number=booked_out.tracking_number)
    assert isinstance(tracked, m.BuyerTrackingOutput) and tracked.number == booked_out.number
    by_number = op("tracking.tracking_retrieve").sync(
        client=public, order_number=booked_out.number, postal_code=booked_out.recipient.postal_code
    )
    assert by_number.tracking_number == booked_out.tracking_number

    # Stock, an order shipped from it, and an inbound shipment (ASN).
    stocked_warehouse(merchant_id=merchant.pk, stock={"TS-1": 5})
    stock = op("stock.stock_list").sync(client=api, warehouse="sz-1")
    assert isinstance(stock, m.PaginatedStockOutputList)
    assert [(s.sku, s.available, s.inbound) for s in stock.results] == [("TS-1", 5, 0)]
    from_stock = op("orders.orders_create").sync(
        client=api, body=m.OrderInputRequest.from_dict(order_payload(reference="GEN-STOCK") | {"warehouse": "sz-1"})
    )
    assert isinstance(from_stock, m.OrderDetailOutput) and from_stock.warehouse == "sz-1"
    asn = op("asns.asns_create").sync(
        client=api,
        body=m.AsnInputRequest.from_dict({"warehouse": "sz-1", "lines": [{"sku": "TS-1", "quantity": 10}]}),
        idempotency_key="gen-asn",
    )
    assert isinstance(asn, m.AsnOutput) and [(line.sku, line.outstanding) for line in asn.lines] == [("TS-1", 10)]
    assert [a.id for a in op("asns.asns_list").sync(client=api).results] == [asn.id]
    assert op("asns.asns_retrieve").sync(asn_id=asn.id, client=api).reference == asn.reference

    # Webhook endpoints and deliveries.
    endpoint = op("webhooks.webhook_endpoints_create").sync(
        client=api,
        body=m.EndpointInputRequest(
            url="http://127.0.0.1:9/gen/", event_types=[m.WebhookEventTypeEnum("order.accepted")]
        ),
    )
    assert isinstance(endpoint, m.EndpointOutput) and endpoint.secret
    accepted = OutboxEvent.objects.get(event_type="orders.order.accepted", aggregate_id=order.id)
    deliveries_fan_out(event=Event.from_row(accepted))

    endpoints = op("webhooks.webhook_endpoints_list").sync(client=api)
    assert [e.id for e in endpoints.results] == [endpoint.id]
    assert op("webhooks.webhook_endpoints_retrieve").sync(endpoint_id=endpoint.id, client=api).url == endpoint.url
    patched = op("webhooks.webhook_endpoints_update").sync(
        endpoint_id=endpoint.id, client=api, body=m.PatchedEndpointPatchInputRequest(description="the ERP")
    )
    assert patched.description == "the ERP"
    rotated = op("webhooks.webhook_endpoints_rotate_secret").sync(
        endpoint_id=endpoint.id, client=api, body=m.RotateSecretInputRequest(overlap_hours=1)
    )
    assert rotated.secret and rotated.secret != endpoint.secret

    deliveries = op("webhooks.webhook_deliveries_list").sync(client=api, endpoint=endpoint.id)
    assert isinstance(deliveries, m.PaginatedDeliveryOutputList) and len(deliveries.results) == 1
    delivery = op("webhooks.webhook_deliveries_retrieve").sync(delivery_id=deliveries.results[0].id, client=api)
    assert isinstance(delivery, m.DeliveryDetailOutput) and delivery.event_type == "order.accepted"
    again = op("webhooks.webhook_deliveries_redeliver").sync(delivery_id=delivery.id, client=api)
    assert isinstance(again, m.DeliveryOutput)

    gone = op("webhooks.webhook_endpoints_destroy").sync_detailed(endpoint_id=endpoint.id, client=api)
    assert gone.status_code == 204
    missing = op("webhooks.webhook_endpoints_retrieve").sync(endpoint_id=endpoint.id, client=api)
    assert isinstance(missing, m.ErrorOutput) and missing.code == "webhook_endpoint_not_found"

    assert called == _operations(generated)
