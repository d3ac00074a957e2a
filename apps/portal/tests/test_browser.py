"""The portal in a real browser: Debian's chromium driven by Playwright against the live server.

These walk what a small merchant does by hand, through the pages as rendered (forms, buttons,
confirm dialogs, the stylesheet), which the request-level tests beside them cannot see.
"""

import os
import re
from pathlib import Path

import httpx
import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect, sync_playwright

from apps.merchants.tests.two_factor import current_code
from apps.orders.models import Order
from apps.portal.tests.test_portal import FORM

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "secret-pass-123"  # what UserFactory sets

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium; `make test` installs it when it may)")

    # Playwright's sync API runs an event loop in this thread, and Django refuses database calls
    # from a thread with a running loop unless told that this one is synchronous code after all.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    unstyled = []  # the portal's pages are styled by its own stylesheet, served without a network
    page.on("requestfailed", lambda request: unstyled.append((request.url, request.failure)))
    # Not `answer.ok`: a stylesheet revalidated from the browser's cache is a 304.
    page.on("response", lambda answer: unstyled.append((answer.url, answer.status)) if answer.status >= 400 else None)
    yield page
    context.close()
    assert [(url, why) for url, why in unstyled if url.endswith(".css")] == []


def log_in(page, user) -> None:
    """Log in as the member would: password, then (for a login with an authenticator, as every
    test owner has) the code the app shows."""
    page.goto("/orders/")
    assert "/login/" in page.url  # anonymous visitors are sent to log in first
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("main button:text('Log in')")
    device = TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).first()
    if device is not None:
        page.wait_for_url(re.compile(r"/login/verify/"))
        page.fill("#id_code", current_code(device))
        page.click("main button:text('Verify')")
    page.wait_for_url(re.compile(r"^[^?]*/orders/$"))  # not /login/?next=/orders/


def fill_order(page, **changes: str) -> None:
    """Type the order of the request-level tests into the form, as a merchant would."""
    for name, value in (FORM | changes).items():
        if name.endswith("_FORMS"):
            continue  # the formset's hidden bookkeeping
        if name == "service_level":
            page.select_option(f"[name='{name}']", value)
        else:
            page.fill(f"[name='{name}']", value)


def test_a_merchant_fixes_a_bad_postcode_picks_a_quoted_route_and_finds_the_order_in_the_list(
    page, merchant_user, merchant, cn_de_service
):
    log_in(page, merchant_user)
    page.click("nav a:text('New order')")
    fill_order(page, recipient_postal_code="ABC")

    page.click("button:text('Submit order')")

    # expect() retries until the answer's page is in: the form page before it has the field too.
    expect(page.locator("#field-recipient_postal_code")).to_contain_text("is not a valid DE postcode")
    assert page.input_value("[name='recipient_name']") == "Anna Schmidt"  # nothing typed is lost
    assert not Order.objects.filter(merchant=merchant).exists()

    page.fill("[name='recipient_postal_code']", "10115")
    page.click("button:text('Get quotes')")
    expect(page.locator("#quote-0")).to_contain_text(cn_de_service.carrier.code)
    page.check("#route-0")
    page.click("button:text('Submit order')")

    page.wait_for_url(re.compile(r"/orders/[^/]+/$"))
    order = Order.objects.get(merchant=merchant, reference=FORM["reference"])
    assert order.carrier_code == cn_de_service.carrier.code
    assert order.recipient_postal_code == "10115"
    assert order.number in page.locator("h1").inner_text()
    expect(page.locator("h1 .state")).to_have_text("Accepted")

    page.click("nav a:text('Orders')")
    row = page.locator("tbody tr", has_text=FORM["reference"])
    expect(row.locator("a")).to_have_text(order.number)
    page.select_option("[name='state']", "cancelled")
    page.click("button:text('Filter')")
    expect(page.locator("tbody tr", has_text=FORM["reference"])).to_have_count(0)
    expect(page.locator("tbody")).to_contain_text("No orders yet")


def test_a_key_made_in_the_portal_works_on_the_api_until_it_is_revoked_there(
    page, live_server, merchant_user, merchant, cn_de_service
):
    log_in(page, merchant_user)
    page.click("nav a:text('API keys')")
    page.fill("[name='name']", "ERP reader")
    for box in page.locator("[name='scopes']").all():
        box.uncheck()
    page.check("[name='scopes'][value='orders:read']")
    page.click("button:text('Create key')")

    secret = page.locator("#secret").inner_text().strip()
    assert secret.startswith("lgk_")
    headers = {"Authorization": f"Bearer {secret}"}
    listed = httpx.get(f"{live_server.url}/api/v1/orders/", headers=headers)
    assert listed.status_code == 200 and listed.json()["results"] == []
    refused = httpx.post(f"{live_server.url}/api/v1/orders/", headers=headers, json={})
    assert refused.status_code == 403  # the key carries only the scope that was ticked

    page.click("nav a:text('API keys')")
    row = page.locator("tbody tr", has_text="ERP reader")
    assert secret not in page.content()  # the secret was shown once
    page.once("dialog", lambda dialog: dialog.accept())
    row.locator("button:text('Revoke now')").click()
    expect(page.locator("tbody tr", has_text="ERP reader").locator(".state")).to_have_text("revoked")

    assert httpx.get(f"{live_server.url}/api/v1/orders/", headers=headers).status_code == 401
