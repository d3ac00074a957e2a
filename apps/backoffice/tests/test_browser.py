"""The operations dashboard in a real browser (Debian's chromium driven by Playwright against the
live server): a staff member logs in, sees every chart drawn and its table beside it under the
site's Content Security Policy, and watches the figures change without reloading the page."""

import re

import pytest
from playwright.sync_api import expect

from apps.common import workers
from apps.common.testing import chromium_browser
from apps.distribution.models import CarrierCall
from apps.merchants.tests.factories import UserFactory
from apps.merchants.tests.two_factor import confirmed_device, current_code
from apps.orders.tests.factories import create_order
from apps.scheduling.models import Lane
from apps.scheduling.services import lane_enqueue

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "secret-pass-123"  # what UserFactory sets


@pytest.fixture(scope="module")
def browser():
    yield from chromium_browser()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    problems = []  # the browser asks for /favicon.ico on its own; the site has none

    def console(message):
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            problems.append(message.text)

    def answered(answer):
        if answer.status >= 400 and not answer.url.endswith("/favicon.ico"):
            problems.append(f"{answer.url}: {answer.status}")

    page.on("console", console)
    page.on("response", answered)
    page.on("requestfailed", lambda request: problems.append(f"{request.url}: {request.failure}"))
    outside = []
    page.on("request", lambda r: None if r.url.startswith(("data:", live_server.url)) else outside.append(r.url))
    yield page
    context.close()
    assert problems == []  # no CSP refusal, no missing script or stylesheet
    assert outside == []  # nothing from another origin


@pytest.fixture
def seeded(merchant, cn_de_service):
    Lane.objects.create(key="carrier:test-post", downstream_kind="carrier", downstream_code="test-post", paused=True)
    for n in range(4):
        lane_enqueue(order_id=create_order(merchant_id=merchant.pk, reference=f"B-{n}").pk)
    CarrierCall.objects.bulk_create(
        CarrierCall(
            carrier_code="test-post", operation="book", method="POST", path="shipments/", outcome="ok", duration_ms=ms
        )
        for ms in (100, 200, 300)
    )
    workers.heartbeat_write(hostname="celery@browser-test")


def test_staff_watch_the_dashboard_refresh_with_its_charts_and_tables(page, settings, merchant, seeded):
    settings.DASHBOARD_REFRESH_SECONDS = 1
    staff = UserFactory(is_staff=True, is_superuser=True, username="watcher")

    page.goto("/admin/operations/dashboard/")
    page.fill("#id_username", staff.username)
    page.fill("#id_password", PASSWORD)
    page.fill("#id_code", current_code(confirmed_device(staff)))  # the admin's second factor
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_url(re.compile(r"/admin/operations/dashboard/$"))

    states = page.locator("#panel-states table")
    expect(states.locator("tr", has_text="scheduled")).to_contain_text("4")
    expect(page.locator("#panel-lanes table")).to_contain_text("carrier:test-post")
    expect(page.locator("#panel-downstreams table")).to_contain_text("100 %")
    expect(page.locator("#panel-workers table")).to_contain_text("celery@browser-test")
    charts = page.locator("img.dashboard-chart")
    assert charts.count() >= 5
    for chart in charts.all():  # each SVG decoded and drawn, not a broken image
        assert chart.evaluate("img => img.complete && img.naturalWidth > 0")
    # Every panel has its table, with a caption, for a screen reader.
    assert page.locator(".dashboard-panel").count() == page.locator(".dashboard-panel table caption").count() == 10

    # New orders come in; the page shows them without a reload.
    for n in range(3):
        create_order(merchant_id=merchant.pk, reference=f"NEW-{n}")
    page.evaluate("window.__not_reloaded = true")

    expect(states.locator("tr", has_text="accepted")).to_contain_text("3")
    expect(page.locator("#dashboard")).not_to_have_attribute("data-refreshes", "0")
    assert page.evaluate("window.__not_reloaded") is True
    expect(page.locator("#dashboard-updated")).to_contain_text("updated")
    assert page.locator("img.dashboard-chart").first.evaluate("img => img.naturalWidth > 0")
