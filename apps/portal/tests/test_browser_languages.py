"""Languages in a real browser with JavaScript off: a Chinese browser gets the portal in Chinese,
the switcher changes it with a plain form post and the choice outlives the page; the tracking
page fits a phone in German."""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from apps.merchants.tests.two_factor import current_code
from apps.orders.tests.factories import order_draft
from apps.portal.tests.test_browser import PASSWORD
from apps.shipping.services import order_submit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def no_script_page(browser, live_server):
    def open_page(locale: str, width: int = 1280, height: int = 800):
        context = browser.new_context(
            base_url=live_server.url,
            locale=locale,
            java_script_enabled=False,
            viewport={"width": width, "height": height},
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    contexts = []
    yield open_page
    for context in contexts:
        context.close()


def test_a_chinese_browser_gets_the_portal_in_chinese_and_switches_to_english_without_javascript(
    no_script_page, merchant_user
):
    page = no_script_page("zh-CN")
    page.goto("/login/")
    expect(page.locator("h1")).to_have_text("登录")

    page.fill("#id_username", merchant_user.username)
    page.fill("#id_password", PASSWORD)
    page.click("main button")
    expect(page.locator("h1")).to_have_text("两步登录")  # the code step, in Chinese too
    page.fill("#id_code", current_code(TOTPDevice.objects.get(user=merchant_user, confirmed=True)))
    page.click("main button")
    expect(page.locator("h1")).to_have_text("最近 7 天")  # the dashboard, the portal's home

    page.select_option("#language-choice", "en")
    page.click("#language-switcher button")
    expect(page.locator("h1")).to_have_text("The last 7 days")
    page.goto("/orders/new/")
    expect(page.locator("h1")).to_have_text("New order")


def test_the_tracking_page_speaks_german_and_fits_a_phone(no_script_page, merchant, cn_de_service):
    order = order_submit(merchant_id=merchant.pk, draft=order_draft(), actor="t", channel="api")
    page = no_script_page("de-DE", 390, 844)

    page.goto(f"/track/?order_number={order.number}&postal_code={order.recipient_postal_code}")

    expect(page.locator("h1")).to_have_text("Sendung verfolgen")
    expect(page.locator("#shop")).to_contain_text(f"Ihr Paket von {merchant.name}")
    expect(page.locator("#timeline")).to_contain_text("Der Shop hat Ihr Paket angemeldet")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
