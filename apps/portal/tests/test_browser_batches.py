"""A batch print in a real browser: tick orders on the list, buy their labels together, download
the merged PDF and count its pages."""

import io
import re

import pypdf
import pytest
from playwright.sync_api import expect

from apps.batches.models import LabelBatch, LabelPrint
from apps.batches.tests.conftest import book_all, submit, waiting_orders
from apps.portal.tests.test_browser import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_merchant_buys_a_batch_of_labels_and_prints_them_four_to_an_a4_page(page, merchant_user, merchant, carriers):
    orders = [submit(merchant, f"BP-{n}", name=name) for n, name in enumerate(["张伟", "Jiří Dvořák", "Иван Петров"])]
    book_all()  # the first two are labelled by the time the merchant looks
    log_in(page, merchant_user)

    for order in orders[:2]:
        page.check(f"input[name='order'][value='{order.id}']")
    page.click("#batch-buy")
    expect(page.locator("#batch-count")).to_have_text("2 orders selected.")
    expect(page.locator("#batch-preview")).to_contain_text("2 labelled already: reprinted free")
    page.select_option("#id_service", "")  # let the platform choose
    page.click("#batch-confirm")

    page.wait_for_url(re.compile(r"/batches/\d+/$"))
    batch = LabelBatch.objects.get(merchant_id=merchant.pk)
    expect(page.locator("#progress")).to_contain_text("2 of 2 labels ready")
    page.select_option("#id_paper", "a4-4")
    page.check("#id_packing_slips")
    with page.expect_download() as download:
        page.click("#print-batch")
    pdf = pypdf.PdfReader(io.BytesIO(download.value.path().read_bytes()))

    # Two orders CN to DE: a label, a CN22 and a packing slip each, six documents four to a page.
    assert len(pdf.pages) == 2
    text = "".join(p.extract_text() for p in pdf.pages)
    assert "张伟" in text and "Jiří Dvořák" in text and "Иван Петров" not in text
    assert list(LabelPrint.objects.values_list("batch_id", "reprint")) == [(batch.pk, False)]
    page.reload()
    expect(page.locator("#print-log")).to_contain_text("first print")


def test_the_batch_page_follows_its_moves_and_labels_in_place(page, merchant_user, merchant, carriers):
    orders = waiting_orders(merchant, 2)  # held on work-post's lane
    log_in(page, merchant_user)
    for order in orders:
        page.check(f"input[name='order'][value='{order.id}']")
    page.click("#batch-buy")
    page.select_option("#id_service", "fast-post/express")

    page.click("#batch-confirm")

    page.wait_for_url(re.compile(r"/batches/\d+/$"))  # at once: the moves wait for a worker
    expect(page.locator("#progress")).to_contain_text("0 of 2 labels ready")
    expect(page.locator("#batch-moving")).to_have_text("2 orders are being moved to the batch's service first.")
    expect(page.locator("#batch-orders")).to_contain_text("Moving to fast-post/express before its label is bought.")
    book_all()  # the worker moves them; fast-post books them
    # The page fetches itself again and redraws its progress and its orders, without a reload.
    expect(page.locator("#progress")).to_contain_text("2 of 2 labels ready", timeout=15_000)
    expect(page.locator("#batch-orders")).to_contain_text("Moved from work-post/standard.")
    expect(page.locator("#batch-moving")).to_have_count(0)


def test_select_all_matching_the_filter_takes_every_order_the_list_filters(page, merchant_user, merchant, carriers):
    orders = [submit(merchant, f"SA-{n}") for n in range(3)]
    book_all()
    log_in(page, merchant_user)
    page.fill("[name='reference']", "SA-1")
    page.click("button:text('Filter')")

    page.check("#select-all-matching")
    page.click("#batch-buy")
    expect(page.locator("#batch-count")).to_have_text("1 order selected.")
    page.click("#batch-confirm")

    page.wait_for_url(re.compile(r"/batches/\d+/$"))
    batch = LabelBatch.objects.get(merchant_id=merchant.pk)
    assert list(batch.orders.values_list("order_id", flat=True)) == [orders[1].id]
