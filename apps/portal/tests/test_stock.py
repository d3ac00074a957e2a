"""The warehouse pages: stock with what is available, reserved and inbound; orders from stock
through intake; inbound shipments (ASNs) with their receipts and discrepancies."""

from datetime import UTC, datetime

import pytest

from apps.common import outbox
from apps.merchants.tests.factories import MerchantFactory
from apps.orders.models import Order
from apps.portal.tests.test_portal import FORM
from apps.warehouse.models import Asn, Stock, WarehouseOrder
from apps.warehouse.services import asn_create, asn_receipt_apply
from apps.warehouse.tests.stocked import stocked_warehouse
from apps.warehouse.wms.types import Receipt, ReceiptLine

RECIPIENT = {k: v for k, v in FORM.items() if k.startswith(("recipient_", "sender_"))}
PARCEL = {k: FORM[f"parcels-0-{k}"] for k in ("weight_g", "length_mm", "width_mm", "height_mm")}


def stock_order(**changes) -> dict:
    return {
        "warehouse": "sz-1",
        "reference": "S-1",
        "service_level": "standard",
        **RECIPIENT,
        **PARCEL,
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "1",
        "lines-MAX_NUM_FORMS": "1000",
        "lines-0-sku": "TS-1",
        "lines-0-description": "T-shirt",
        "lines-0-quantity": "2",
        "lines-0-unit_value": "12.50",
        "lines-0-currency": "USD",
        "lines-0-hs_code": "610910",
        "lines-0-origin_country": "CN",
    } | changes


@pytest.fixture
def portal(client, merchant_user):
    client.force_login(merchant_user)
    return client


@pytest.fixture
def plan(django_capture_on_commit_callbacks):
    """What the workers would do next: plan the orders from stock (their warehouse orders reserve
    the units); the calls to the WMS (nowhere here) fail and wait."""

    def run():
        with django_capture_on_commit_callbacks(execute=True):
            outbox.drain()

    return run


@pytest.fixture
def stocked(merchant, cn_de_service):
    return stocked_warehouse(merchant_id=merchant.pk, stock={"TS-1": 5, "MUG": 0})


def receipt(asn, lines, receipt_id="R-1"):
    return Receipt(
        asn_reference=asn.external_reference,
        receipt_id=receipt_id,
        received_at=datetime(2026, 12, 1, 9, tzinfo=UTC),
        lines=tuple(ReceiptLine(sku=sku, accepted=accepted, damaged=damaged) for sku, accepted, damaged in lines),
    )


def test_the_stock_page_shows_available_reserved_and_inbound_per_warehouse_and_sku(portal, merchant, stocked, plan):
    asn = asn_create(merchant_id=merchant.pk, warehouse_code="sz-1", lines=[("TS-1", 10), ("CAP", 4)])
    asn_receipt_apply(warehouse_code="sz-1", receipt=receipt(asn, [("TS-1", 3, 1)]))
    portal.post("/stock/order/", stock_order())
    plan()  # its warehouse order reserves 2
    stocked_warehouse(merchant_id=MerchantFactory().pk, stock={"SECRET-SKU": 7}, code="sz-2")

    response = portal.get("/stock/")

    text = response.content.decode()
    assert response.status_code == 200
    row = text[text.index('id="stock-sz-1-TS-1"') :]
    row = row[: row.index("</tr>")]
    # on hand 5 + 3 received; 2 reserved; inbound 10 - 3 accepted - 1 damaged
    assert '"available">6<' in row and '"reserved">2<' in row and '"on-hand">8<' in row and '"inbound">6<' in row
    assert 'id="stock-sz-1-CAP"' in text  # on its way only
    assert "SECRET-SKU" not in text


def test_a_closed_asn_brings_nothing_more_inbound(portal, merchant, stocked):
    from apps.warehouse.services import asn_close

    asn = asn_create(merchant_id=merchant.pk, warehouse_code="sz-1", lines=[("CAP", 4)])
    asn_close(asn_id=asn.pk)

    assert 'id="stock-sz-1-CAP"' not in portal.get("/stock/").content.decode()


def test_an_unknown_warehouse_filter_is_refused_beside_the_field(portal, stocked):
    response = portal.get("/stock/", {"warehouse": "nowhere"})

    assert response.status_code == 400 and 'class="errorlist' in response.content.decode()


def test_ordering_from_stock_offers_only_skus_with_available_units_and_creates_the_order_through_intake(
    portal, merchant, stocked, plan
):
    page = portal.get("/stock/order/").content.decode()
    assert '<option value="TS-1">' in page and '<option value="MUG">' not in page

    response = portal.post("/stock/order/", stock_order())

    order = Order.objects.get(merchant=merchant, reference="S-1")
    assert response.status_code == 302 and response["Location"] == f"/orders/{order.number}/"
    assert order.warehouse_code == "sz-1" and order.channel == "portal"
    plan()
    assert WarehouseOrder.objects.get(order_id=order.id).lines.get().ordered == 2
    detail = portal.get(response["Location"]).content.decode()
    assert 'id="warehouse"' in detail and "Stock reserved at the warehouse" in detail


def test_more_units_than_available_are_refused_on_the_line_and_nothing_is_recorded(portal, merchant, stocked):
    response = portal.post("/stock/order/", stock_order(**{"lines-0-quantity": "6"}))

    assert response.status_code == 400
    assert "Only 5 of TS-1 available here." in response.content.decode()
    assert not Order.objects.exists() and Stock.objects.get(sku="TS-1").reserved == 0


def test_a_sku_without_available_units_cannot_be_posted(portal, merchant, stocked):
    response = portal.post("/stock/order/", stock_order(**{"lines-0-sku": "MUG"}))

    assert response.status_code == 400 and not Order.objects.exists()


def test_a_merchant_without_stock_is_sent_to_announce_a_shipment(portal, merchant, cn_de_service):
    response = portal.get("/stock/order/")

    assert response.status_code == 200 and "Announce an inbound shipment" in response.content.decode()


def test_announcing_an_asn_records_its_lines_and_its_page_follows_receipts_and_discrepancies(portal, merchant, stocked):
    response = portal.post(
        "/inbound/new/",
        {
            "warehouse": "sz-1",
            "expected_at": "2026-12-20",
            "lines-TOTAL_FORMS": "3",
            "lines-INITIAL_FORMS": "0",
            "lines-0-sku": "TS-1",
            "lines-0-quantity": "10",
            "lines-1-sku": "CAP",
            "lines-1-quantity": "4",
            "lines-2-sku": "",
            "lines-2-quantity": "",
        },
    )

    asn = Asn.objects.get(merchant_id=merchant.pk)
    assert response.status_code == 302 and response["Location"] == f"/inbound/{asn.pk}/"
    assert [(line.sku, line.expected) for line in asn.lines.all()] == [("CAP", 4), ("TS-1", 10)]

    asn_receipt_apply(warehouse_code="sz-1", receipt=receipt(asn, [("TS-1", 12, 1), ("HAT", 2, 0)]))
    page = portal.get(f"/inbound/{asn.pk}/").content.decode()

    assert "R-1" in page and "Partly received" in page
    discrepancies = page[page.index('id="discrepancies"') :]
    assert "More than expected" in discrepancies and "SKU not on the notice" in discrepancies
    assert "Damaged" in discrepancies
    assert asn.external_reference in portal.get("/inbound/").content.decode()


def test_another_merchants_asn_is_not_found(portal, stocked):
    other = asn_create(merchant_id=MerchantFactory().pk, warehouse_code="sz-1", lines=[("X", 1)])

    assert portal.get(f"/inbound/{other.pk}/").status_code == 404


def test_an_asn_without_lines_is_refused(portal, merchant, stocked):
    response = portal.post("/inbound/new/", {"warehouse": "sz-1", "lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "0"})

    assert response.status_code == 400 and not Asn.objects.exists()


def test_the_stock_page_filters_by_sku_and_shows_at_most_a_page_of_rows(portal, merchant, stocked, monkeypatch):
    from apps.portal import stock_views

    monkeypatch.setattr(stock_views, "STOCK_ROWS_SHOWN", 1)

    text = portal.get("/stock/").content.decode()
    assert text.count('id="stock-sz-1-') == 1 and 'id="more">1 more rows' in text
    only = portal.get("/stock/", {"sku": "TS-1"}).content.decode()
    assert 'id="stock-sz-1-TS-1"' in only and 'id="stock-sz-1-MUG"' not in only and 'id="more"' not in only


def test_with_many_skus_the_sku_is_typed_and_one_without_units_is_refused(portal, merchant, stocked, monkeypatch):
    from apps.portal import stock_views

    monkeypatch.setattr(stock_views, "SKUS_OFFERED_MAX", 0)
    assert '<select name="lines-0-sku"' not in portal.get("/stock/order/").content.decode()

    refused = portal.post("/stock/order/", stock_order(**{"lines-0-sku": "MUG"}))
    assert refused.status_code == 400 and "No units of MUG are available here." in refused.content.decode()

    assert portal.post("/stock/order/", stock_order()).status_code == 302


def test_the_order_form_offers_the_chosen_warehouses_skus(portal, merchant, stocked):
    stocked_warehouse(merchant_id=merchant.pk, stock={"CAP": 3}, code="sz-2")

    first = portal.get("/stock/order/").content.decode()
    second = portal.get("/stock/order/", {"warehouse": "sz-2"}).content.decode()

    assert '<option value="TS-1">' in first and '<option value="CAP">' not in first
    assert '<option value="CAP">' in second and '<option value="TS-1">' not in second
