"""A spreadsheet import in a real browser: upload a CSV with one bad row, see that row's error in
the preview, import the valid rows, watch the progress bar reach done (the worker's task runs in
a thread, as a worker would run it), find the orders in the list and download the error file."""

import re
import threading
from pathlib import Path

import pytest
from django.db import connection
from playwright.sync_api import expect

from apps.imports.models import ImportJob
from apps.imports.tasks import run_import
from apps.imports.tests.conftest import csv_file, row
from apps.portal.tests.test_browser import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def work(job_id: int) -> None:
    try:
        run_import(job_id)
    finally:
        connection.close()


def test_a_merchant_imports_the_valid_rows_of_a_csv_and_downloads_the_rest(
    page, merchant_user, merchant, cn_de_service
):
    data = csv_file(row("IMP-1"), row("IMP-2", phone="1.23457E+11"), row("IMP-3"), row("IMP-3", item="Socks"))
    log_in(page, merchant_user)
    page.click("nav a:text('Import')")
    page.set_input_files("#id_file", {"name": "orders.csv", "mimeType": "text/csv", "buffer": data})
    page.click("main button:text('Upload')")

    page.wait_for_url(re.compile(r"/imports/\d+/$"))
    expect(page.locator("#id_map_recipient_phone")).to_have_value("Ship To - Phone")  # recognised
    page.set_viewport_size({"width": 390, "height": 844})  # the mapping fits a phone
    wide = page.evaluate(
        "[...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect().right > window.innerWidth)"
        ".map(e => e.tagName + '#' + e.id + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"
    )
    assert wide == []
    page.set_viewport_size({"width": 1280, "height": 800})
    for name, value in {
        "sender_name": "Shenzhen Gadgets",
        "sender_line1": "1 Keji Rd",
        "sender_city": "Shenzhen",
        "sender_state": "Guangdong",
        "sender_postal_code": "518000",
        "hs_code": "610910",
    }.items():
        page.fill(f"#id_{name}", value)
    page.click("button:text('Check the rows')")

    bad = page.locator("#row-errors tr.row-error[data-row='3']")
    expect(bad).to_contain_text("Ship To - Phone")
    expect(bad).to_contain_text("scientific notation")
    expect(page.locator("#import-summary")).to_contain_text("2 ready, 1 with errors")
    page.click("button:text('Import the valid rows (2 orders)')")

    expect(page.locator("#import-progress")).to_be_visible()
    job = ImportJob.objects.get(merchant_id=merchant.pk)
    worker = threading.Thread(target=work, args=(job.pk,))
    worker.start()
    worker.join(timeout=30)
    expect(page.locator("#import-result")).to_have_text("2 orders imported.")  # the page saw it end
    expect(page.locator("#import-progress")).to_have_attribute("value", "100")

    page.click("a:text('See the orders')")
    expect(page.locator("tbody")).to_contain_text("IMP-1")
    expect(page.locator("tbody")).to_contain_text("IMP-3")
    expect(page.locator("tbody")).not_to_contain_text("IMP-2")

    page.go_back()
    with page.expect_download() as download:
        page.click("a:text('Download these rows with their errors (CSV)')")
    lines = Path(download.value.path()).read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("Row,Errors,Order #")
    assert len(lines) == 2 and lines[1].startswith("3,Ship To - Phone: 1.23457E+11")


def test_without_javascript_the_import_page_refreshes_itself_until_done(
    browser, live_server, merchant_user, merchant, cn_de_service
):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    context.set_default_timeout(15_000)
    page = context.new_page()
    log_in(page, merchant_user)
    page.goto("/imports/")
    page.set_input_files("#id_file", {"name": "orders.csv", "mimeType": "text/csv", "buffer": csv_file(row("NJ-1"))})
    page.click("main button:text('Upload')")
    for name, value in {
        "sender_name": "S",
        "sender_line1": "1 Keji Rd",
        "sender_city": "Shenzhen",
        "sender_state": "Guangdong",
        "sender_postal_code": "518000",
        "hs_code": "610910",
    }.items():
        page.fill(f"#id_{name}", value)
    page.click("button:text('Check the rows')")
    page.click("button:text('Import 1 order')")
    expect(page.locator("#import-progress-text")).to_have_text("0 of 1 orders")

    worker = threading.Thread(target=work, args=(ImportJob.objects.get(merchant_id=merchant.pk).pk,))
    worker.start()
    worker.join(timeout=30)

    expect(page.locator("#import-result")).to_have_text("1 order imported.")  # a refresh showed it
    context.close()
