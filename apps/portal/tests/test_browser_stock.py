"""The warehouse pages in a real browser (Debian's chromium through Playwright, as in
test_browser.py): a merchant ships an order from stock, and announces an inbound shipment and
follows its receipt. The browser and page fixtures (launch flags, the check that every page is
styled) come from test_browser.py through conftest.py."""

import re
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from apps.common import outbox
from apps.orders.models import Order
from apps.portal.tests.test_browser import log_in
from apps.portal.tests.test_stock import stock_order
from apps.warehouse.models import Asn, WarehouseOrder
from apps.warehouse.services import asn_receipt_apply
from apps.warehouse.tests.stocked import stocked_warehouse
from apps.warehouse.wms.types import Receipt, ReceiptLine

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_merchant_ships_an_order_from_stock_after_asking_for_more_than_is_available(
    page, merchant_user, merchant, cn_de_service
):
    stocked_warehouse(merchant_id=merchant.pk, stock={"TS-1": 5})
    log_in(page, merchant_user)
    page.click("nav a:text('Stock')")
    expect(page.locator("#stock-sz-1-TS-1 .available")).to_have_text("5")
    page.click("#order-from-stock")

    for name, value in stock_order(**{"lines-0-quantity": "6"}).items():
        if name.startswith("lines-") and not name.startswith("lines-0-"):
            continue  # the formset's hidden bookkeeping
        if name == "warehouse":
            page.select_option("#id_warehouse", value)  # the order's (the page's other one only shows stock)
        elif name in ("service_level", "lines-0-sku") or name.endswith("country"):
            page.select_option(f"[name='{name}']", value)
        else:
            page.fill(f"[name='{name}']", value)
    page.click("button:text('Ship from stock')")

    expect(page.locator("#line-0")).to_contain_text("Only 5 of TS-1 available here.")
    assert page.input_value("[name='recipient_name']") == "Anna Schmidt"  # nothing typed is lost
    assert not Order.objects.exists()

    page.fill("[name='lines-0-quantity']", "2")
    page.click("button:text('Ship from stock')")

    page.wait_for_url(re.compile(r"/orders/[^/]+/$"))
    order = Order.objects.get(merchant=merchant, reference="S-1")
    assert order.warehouse_code == "sz-1"
    outbox.drain()  # as the workers would: planned, stock reserved (its call to the WMS, nowhere here, waits)
    page.reload()
    expect(page.locator("#warehouse")).to_contain_text("TS-1")
    expect(page.locator(".timeline")).to_contain_text("Stock reserved at the warehouse")
    assert WarehouseOrder.objects.get(order_id=order.id).lines.get().ordered == 2

    page.click("nav a:text('Stock')")
    expect(page.locator("#stock-sz-1-TS-1 .available")).to_have_text("3")
    expect(page.locator("#stock-sz-1-TS-1 .reserved")).to_have_text("2")


def test_a_merchant_announces_an_inbound_shipment_and_sees_its_receipt_and_discrepancies(
    page, merchant_user, merchant, cn_de_service
):
    stocked_warehouse(merchant_id=merchant.pk, stock={})
    log_in(page, merchant_user)
    page.click("nav a:text('Inbound')")
    page.click("#announce")
    page.select_option("[name='warehouse']", "sz-1")
    page.fill("[name='expected_at']", "2026-12-20")
    page.fill("[name='lines-0-sku']", "TS-1")
    page.fill("[name='lines-0-quantity']", "0")
    page.fill("[name='lines-1-sku']", "CAP")
    page.fill("[name='lines-1-quantity']", "4")
    page.click("button:text('Announce shipment')")

    expect(page.locator("#line-0")).to_contain_text("greater than or equal to 1")
    page.fill("[name='lines-0-quantity']", "10")
    page.click("button:text('Announce shipment')")

    page.wait_for_url(re.compile(r"/inbound/\d+/$"))
    asn = Asn.objects.get(merchant_id=merchant.pk)
    expect(page.locator("h1")).to_contain_text(asn.external_reference)
    expect(page.locator("#receipts")).to_contain_text("Nothing received yet")
    page.click("nav a:text('Stock')")
    expect(page.locator("#stock-sz-1-TS-1 .inbound")).to_have_text("10")

    asn_receipt_apply(
        warehouse_code="sz-1",
        receipt=Receipt(
            asn_reference=asn.external_reference,
            receipt_id="R-1",
            received_at=datetime(2026, 12, 20, 9, tzinfo=UTC),
            lines=(ReceiptLine(sku="TS-1", accepted=8, damaged=2),),
        ),
    )
    page.click("nav a:text('Inbound')")
    page.click(f"a:text('{asn.external_reference}')")

    expect(page.locator("h1 .state")).to_have_text("Partly received")
    expect(page.locator("#line-TS-1 .accepted")).to_have_text("8")
    expect(page.locator("#discrepancies")).to_contain_text("Damaged")
    page.click("nav a:text('Stock')")
    expect(page.locator("#stock-sz-1-TS-1 .available")).to_have_text("8")
    expect(page.locator("#stock-sz-1-TS-1 .inbound")).to_have_text("0")
