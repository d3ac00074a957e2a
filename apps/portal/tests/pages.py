"""Every page of the portal, found in its URLconf, with the rows its arguments name: the sweeps
(fits a phone, axe, queries, CSP, script weight) visit each one, so a page added to
apps/portal/urls.py is swept too. A page whose URL takes an argument not known here makes the
sweeps fail until a maker for it is added to ARGUMENTS."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.test import Client
from django.urls import URLPattern, URLResolver, reverse

from apps.batches.services import label_batch_create
from apps.imports.services import import_upload
from apps.merchants.models import Membership
from apps.merchants.services import api_key_issue
from apps.merchants.tests.factories import MembershipFactory
from apps.orders.services import order_advance, order_flag_exception, order_schedule, order_start_fulfillment
from apps.orders.tests.factories import create_order, order_draft
from apps.portal import urls as portal_urls
from apps.shipping.services import order_submit
from apps.warehouse.services import asn_create
from apps.warehouse.tests.stocked import stocked_warehouse
from apps.webhooks.services import endpoint_create


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    anonymous: bool = False  # shown to a visitor who is not logged in (login, tracking)


def _order(merchant) -> str:
    order = order_submit(merchant_id=merchant.pk, draft=order_draft(reference="SWEEP-1"), actor="test", channel="api")
    _week_of_orders(merchant)
    return order.number


def _week_of_orders(merchant) -> None:
    """Orders in the states the dashboard charts (customs hold, failed attempt, exception, delivered)."""
    for n, target in enumerate(["customs_hold", "delivery_failed", "exception", "delivered"]):
        order = create_order(merchant_id=merchant.pk, reference=f"SWEEP-W{n}")
        order_schedule(order_id=order.pk, lane="carrier:test-post", actor="test")
        order_start_fulfillment(order_id=order.pk, actor="test")
        if target == "exception":
            order_flag_exception(order_id=order.pk, actor="test", reason="sweep")
        else:
            order_advance(order_id=order.pk, target=target, actor="test")


def _api_key(merchant) -> str:
    key, _ = api_key_issue(merchant=merchant, name="sweep")
    return str(key.pk)


def _endpoint(merchant) -> str:
    endpoint, _ = endpoint_create(
        merchant_id=merchant.pk, url="http://127.0.0.1:9/hook", event_types=["order.accepted"], description="sweep"
    )
    return str(endpoint.pk)


def _asn(merchant) -> str:
    stocked_warehouse(merchant_id=merchant.pk, stock={"TS-1": 5})
    return str(asn_create(merchant_id=merchant.pk, warehouse_code="sz-1", lines=[("TS-1", 3)]).pk)


def _batch(merchant) -> str:
    order = order_submit(merchant_id=merchant.pk, draft=order_draft(reference="SWEEP-B"), actor="test", channel="api")
    owner = merchant.memberships.filter(role=Membership.Role.OWNER).first().user
    batch, _ = label_batch_create(
        merchant_id=merchant.pk, user=owner, order_ids=[order.id], chosen_route=None, idempotency_key=uuid.uuid4()
    )
    return str(batch.pk)


def _import(merchant) -> str:
    sheet = (
        "Order #,Ship To - Name,Ship To - Address 1,Ship To - City,Ship To - Postal Code,Ship To - Country,"
        "Item Name,Item Quantity,Item Unit Price\r\nA-1,Anna Schmidt,Hauptstr. 5,Berlin,10115,DE,T-shirt,2,12.50\r\n"
    )
    job = import_upload(merchant_id=merchant.pk, actor="test", file_name="orders.csv", data=sheet.encode())
    return str(job.pk)


def _member(merchant) -> str:
    return str(MembershipFactory(merchant=merchant, role=Membership.Role.SHIPPER).pk)


# URL argument -> what makes a row for it (given the merchant) and returns the argument's value.
ARGUMENTS: dict[str, Callable] = {
    "order_id": _order,
    "key_id": _api_key,
    "endpoint_id": _endpoint,
    "asn_id": _asn,
    "batch_id": _batch,
    "delivery_id": lambda merchant: "1",  # only POSTed to (redeliver): no page to see
    "merchant_id": lambda merchant: str(merchant.pk),  # the logo: a picture, not a page
    "name": lambda merchant: "none.png",
    "job_id": _import,
    "membership_id": _member,  # only POSTed to (role, remove)
    "invitation_id": lambda merchant: "1",  # only POSTed to (revoke)
    "token": lambda merchant: "not-a-token",  # the accept page for a bad link
    "sender_id": lambda merchant: "1",  # only POSTed to (default, delete)
    "product_id": lambda merchant: "1",  # only POSTed to (delete)
}
ANONYMOUS = {"login", "track"}
NOT_PAGES = {"logout", "order-label-status"}  # a POST that leaves; a fragment htmx swaps into the order page


def named_patterns(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from named_patterns(entry.url_patterns, prefix)
        elif isinstance(entry, URLPattern) and entry.name:
            yield entry


def portal_pages(merchant, client: Client) -> list[Page]:
    """The portal's pages a browser can be shown (a GET answering 200 with HTML) for an owner of
    `merchant`, with the rows they need made; `client` is logged in as that owner."""
    values: dict[str, str] = {}
    pages = []
    for pattern in named_patterns(portal_urls.urlpatterns):
        if pattern.name in NOT_PAGES:
            continue
        arguments = list(pattern.pattern.converters)
        missing = [a for a in arguments if a not in ARGUMENTS]
        assert not missing, f"portal:{pattern.name} takes {missing}: add a maker to apps/portal/tests/pages.py"
        for argument in arguments:
            if argument not in values:
                values[argument] = ARGUMENTS[argument](merchant)
        path = reverse(f"portal:{pattern.name}", kwargs={a: values[a] for a in arguments})
        response = client.get(path)
        if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            pages.append(Page(pattern.name, path, anonymous=pattern.name in ANONYMOUS))
    return pages


def owner_of(merchant):
    return MembershipFactory(merchant=merchant, role=Membership.Role.OWNER).user
