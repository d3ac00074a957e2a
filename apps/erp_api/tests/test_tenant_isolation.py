"""Tenant isolation, walked over every operation of the served schema.

For each operation: merchant A's key gets 404 for each of merchant B's objects and never sees
B's rows in a list; a key without the operation's scope gets 403; a revoked key gets 401.
An operation this file has no rule for fails the walk: a new endpoint must say how its path
parameters are filled with B's objects (PATH_PARAMETERS), what a POST to a collection sends (POST_BODIES),
or that it is public on purpose (PUBLIC_OPERATIONS).
"""

import re
from datetime import timedelta

import pytest
from django.apps import apps
from django.urls import resolve
from django.utils import timezone
from rest_framework.test import APIClient

from apps.common.models import OutboxEvent
from apps.common.outbox import Event
from apps.distribution.gateways import TrackingUpdate
from apps.distribution.services import distribution_order_book, distribution_order_create, tracking_apply
from apps.distribution.tests.test_distribution_services import FixedGateway
from apps.merchants.services import ALL_SCOPES, api_key_issue, api_key_revoke
from apps.orders.models import Order
from apps.orders.tests.factories import address_draft, create_order, order_payload
from apps.warehouse.services import asn_create
from apps.warehouse.tests.stocked import stocked_warehouse
from apps.webhooks.services import deliveries_fan_out, endpoint_create

PUBLIC_OPERATIONS = {
    # Buyers track without a key; it answers by tracking number (or number and postcode) and
    # shows no personal data (tested in test_public_tracking.py).
    ("get", "/api/v1/tracking/"),
}
# How each path parameter is filled with merchant B's objects (ids and public numbers).
PATH_PARAMETERS = {
    "order_id": lambda b: [str(b["booked"].id), b["booked"].number, str(b["accepted"].id)],
    "endpoint_id": lambda b: [str(b["endpoint"].id)] * 3,
    "delivery_id": lambda b: [str(b["delivery"].id)] * 3,
    "asn_id": lambda b: [str(b["asn"].id)] * 3,
}
# What a POST to a collection (no path parameter) sends; a `merchant` in the body must change nothing.
POST_BODIES = {
    ("post", "/api/v1/orders/"): lambda b: order_payload(reference="A-NEW") | {"merchant": b["merchant"].pk},
    # A quote records nothing and shows only carriers' services: it must not change or show B's rows.
    ("post", "/api/v1/rates/"): lambda b: order_payload(reference="A-QUOTE") | {"merchant": b["merchant"].pk},
    ("post", "/api/v1/orders/bulk/"): lambda b: {
        "orders": [order_payload(reference="A-BULK") | {"merchant_id": b["merchant"].pk}]
    },
    ("post", "/api/v1/webhooks/endpoints/"): lambda b: {
        "url": "http://127.0.0.1:9/a-new-hook/",
        "event_types": ["order.delivered"],
        "merchant_id": b["merchant"].pk,
    },
    ("post", "/api/v1/asns/"): lambda b: {
        "warehouse": "sz-1",
        "lines": [{"sku": "A-INBOUND", "quantity": 3}],
        "merchant_id": b["merchant"].pk,
    },
}
B_MARKERS_FIELDS = ("reference", "number", "id")


def _operations(client) -> list[tuple[str, str, dict]]:
    schema = client.get("/api/schema/", {"format": "json"}).json()
    return [(method, path, op) for path, ops in schema["paths"].items() for method, op in ops.items()]


def _client(plaintext: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    return client


def _call(client: APIClient, method: str, path: str, body: dict | None = None):
    if method == "get":
        return client.get(path)
    return getattr(client, method)(path, body if body is not None else {}, format="json")


def _fill(path: str, values: dict[str, str]) -> str:
    return re.sub(r"\{([^}]+)\}", lambda m: values[m.group(1)], path)


def _tenant_rows(merchant_id: int) -> dict[str, list]:
    """Every row of every model that carries the merchant, as values (ordered by pk)."""
    rows = {}
    for model in apps.get_models():
        names = {f.attname for f in model._meta.concrete_fields}
        column = "merchant_id" if "merchant_id" in names else None
        if column is None:
            continue
        rows[model._meta.label] = list(model.objects.filter(merchant_id=merchant_id).order_by("pk").values())
    return rows


@pytest.fixture
def tenant_b(other_merchant, other_client, cn_de_service):
    """Merchant B: a booked order with a label and a tracking event, an accepted one, stock in a
    warehouse and an inbound shipment (ASN) to it."""
    booked = create_order(
        merchant_id=other_merchant.pk, reference="B-SECRET-1", recipient=address_draft(name="Bertha Secret")
    )
    leg = distribution_order_create(
        order_id=booked.pk, merchant_id=other_merchant.pk, carrier_code="test-post", service_code="standard", actor="t"
    )
    distribution_order_book(distribution_order_id=leg.pk, gateway=FixedGateway())
    tracking_apply(
        distribution_order_id=leg.pk,
        updates=[TrackingUpdate("in_transit", "DEP", "Departed", "Shenzhen", timezone.now() + timedelta(minutes=1))],
    )
    accepted = create_order(merchant_id=other_merchant.pk, reference="B-SECRET-2")
    booked.refresh_from_db()
    endpoint, delivery = _endpoint_with_a_delivery(other_merchant.pk, booked, description="B-SECRET-HOOK")
    markers = [str(getattr(o, f)) for o in (booked, accepted) for f in B_MARKERS_FIELDS] + ["Bertha Secret"]
    stocked_warehouse(merchant_id=other_merchant.pk, stock={"B-SECRET-SKU": 7})
    asn = asn_create(merchant_id=other_merchant.pk, warehouse_code="sz-1", lines=[("B-SECRET-INBOUND", 4)])
    return {
        "merchant": other_merchant,
        "client": other_client,
        "booked": booked,
        "accepted": accepted,
        "endpoint": endpoint,
        "delivery": delivery,
        "asn": asn,
        "markers": [*markers, "B-SECRET-HOOK", endpoint.url, "B-SECRET-SKU", "B-SECRET-INBOUND"],
    }


def _endpoint_with_a_delivery(merchant_id: int, order, *, description: str):
    """A webhook endpoint of the merchant and the delivery of its order's `accepted` event."""
    endpoint, _ = endpoint_create(
        merchant_id=merchant_id,
        url=f"http://127.0.0.1:9/{description.lower()}/",
        event_types=["order.accepted"],
        description=description,
    )
    row = OutboxEvent.objects.get(event_type="orders.order.accepted", aggregate_id=str(order.id))
    deliveries_fan_out(event=Event.from_row(row))
    return endpoint, endpoint.deliveries.get()


@pytest.fixture
def tenant_a(merchant, api_client, cn_de_service):
    """Merchant A has orders, stock and an ASN of its own, so its lists are not trivially empty."""
    own = create_order(merchant_id=merchant.pk, reference="A-OWN-1")
    endpoint, delivery = _endpoint_with_a_delivery(merchant.pk, own, description="A-OWN-HOOK")
    stocked_warehouse(merchant_id=merchant.pk, stock={"A-OWN-SKU": 3})
    asn = asn_create(merchant_id=merchant.pk, warehouse_code="sz-1", lines=[("A-OWN-SKU", 2)])
    own_values = {
        "order_id": str(own.id),
        "endpoint_id": str(endpoint.id),
        "delivery_id": str(delivery.id),
        "asn_id": str(asn.id),
    }
    return {"merchant": merchant, "client": api_client, "own": own, "own_values": own_values}


def test_every_operation_has_a_rule(client, db):
    missing = []
    for method, path, op in _operations(client):
        if op.get("security") == [{}]:
            if (method, path) not in PUBLIC_OPERATIONS:
                missing.append(f"{method.upper()} {path}: public (no key) but not in PUBLIC_OPERATIONS")
            continue
        for name in re.findall(r"\{([^}]+)\}", path):
            if name not in PATH_PARAMETERS:
                missing.append(f"{method.upper()} {path}: no rule for path parameter {name!r} in PATH_PARAMETERS")
        if method != "get" and "{" not in path and (method, path) not in POST_BODIES:
            missing.append(f"{method.upper()} {path}: no body in POST_BODIES")
        view = resolve(_fill(path, dict.fromkeys(re.findall(r"\{([^}]+)\}", path), "1"))).func.view_class
        if method.upper() not in getattr(view, "required_scopes", {}):
            missing.append(f"{method.upper()} {path}: the view names no scope for it (required_scopes)")
    assert not missing, "\n".join(missing)


def test_merchant_a_gets_404_for_each_of_bs_objects_and_never_sees_bs_rows(client, tenant_a, tenant_b):
    b_before = _tenant_rows(tenant_b["merchant"].pk)
    a_client, checked = tenant_a["client"], []

    for method, path, _ in _operations(client):
        if (method, path) in PUBLIC_OPERATIONS:
            continue
        names = re.findall(r"\{([^}]+)\}", path)
        if names:
            for index in range(len(PATH_PARAMETERS[names[0]](tenant_b))):
                values = {name: PATH_PARAMETERS[name](tenant_b)[index] for name in names}
                response = _call(a_client, method, _fill(path, values))
                assert response.status_code == 404, (method, path, values, response.content)
                assert response.json()["code"].endswith("not_found"), (method, path)
                checked.append((method, path, "object"))
        else:
            body = POST_BODIES[(method, path)](tenant_b) if method != "get" else None
            response = _call(a_client, method, path, body)
            assert response.status_code < 300, (method, path, response.status_code)
            text = b"".join(response.streaming_content) if response.streaming else response.content
            leaked = [m for m in tenant_b["markers"] if m in text.decode()]
            assert not leaked, (method, path, leaked)
            checked.append((method, path, "collection"))

    assert _tenant_rows(tenant_b["merchant"].pk) == b_before, "merchant A's requests changed merchant B's rows"
    assert set(Order.objects.filter(reference__in=["A-NEW", "A-BULK"]).values_list("merchant_id", flat=True)) == {
        tenant_a["merchant"].pk
    }
    assert {(m, p) for m, p, _ in checked} == {(m, p) for m, p, _ in _operations(client)} - PUBLIC_OPERATIONS


def test_the_walk_would_notice_bs_data_bs_own_key_sees_it(client, tenant_a, tenant_b):
    """The control: what A was refused, B gets (so the 404s and clean lists above mean something)."""
    b_client = tenant_b["client"]
    for method, path, _ in _operations(client):
        if method != "get" or (method, path) in PUBLIC_OPERATIONS:
            continue
        names = re.findall(r"\{([^}]+)\}", path)
        if names:
            values = {name: PATH_PARAMETERS[name](tenant_b)[0] for name in names}
            assert _call(b_client, method, _fill(path, values)).status_code == 200, (method, path)
        else:
            response = _call(b_client, method, path)
            text = (b"".join(response.streaming_content) if response.streaming else response.content).decode()
            assert any(m in text for m in tenant_b["markers"]), (method, path)


def test_a_key_without_the_operations_scope_gets_403_and_changes_nothing(client, tenant_a, tenant_b):
    own_values = tenant_a["own_values"]
    a_endpoints_before = _tenant_rows(tenant_a["merchant"].pk)["webhooks.WebhookEndpoint"]
    for method, path, _ in _operations(client):
        if (method, path) in PUBLIC_OPERATIONS:
            continue
        view = resolve(_fill(path, own_values)).func.view_class
        needed = view.required_scopes[method.upper()]
        _, plaintext = api_key_issue(
            merchant=tenant_a["merchant"], name=f"lacks {needed}", scopes=tuple(s for s in ALL_SCOPES if s != needed)
        )
        body = POST_BODIES[(method, path)](tenant_b) if (method, path) in POST_BODIES else None
        orders_before = Order.objects.count()

        response = _call(_client(plaintext), method, _fill(path, own_values), body)

        assert response.status_code == 403, (method, path, needed)
        assert response.json()["code"] == "permission_denied"
        assert Order.objects.count() == orders_before
    assert Order.objects.get(pk=tenant_a["own"].pk).state == "accepted"
    assert _tenant_rows(tenant_a["merchant"].pk)["webhooks.WebhookEndpoint"] == a_endpoints_before


def test_a_revoked_key_gets_401_on_its_next_request_everywhere(client, tenant_a, tenant_b):
    key, plaintext = api_key_issue(merchant=tenant_a["merchant"], name="to revoke")
    a_client = _client(plaintext)
    assert a_client.get("/api/v1/orders/").status_code == 200

    api_key_revoke(key=key)

    own_values = tenant_a["own_values"]
    for method, path, _ in _operations(client):
        if (method, path) in PUBLIC_OPERATIONS:
            continue
        body = POST_BODIES[(method, path)](tenant_b) if (method, path) in POST_BODIES else None
        response = _call(a_client, method, _fill(path, own_values), body)
        assert response.status_code == 401, (method, path)
        assert response.json()["code"] == "authentication_failed"
    assert Order.objects.get(pk=tenant_a["own"].pk).state == "accepted"
    assert not Order.objects.filter(reference__in=["A-NEW", "A-BULK"]).exists()
