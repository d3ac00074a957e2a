"""Team and two-factor login in a real browser, at a phone's width: an owner sets up two-factor
login when first logging in, invites a colleague, and the colleague joins through the link."""

import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from apps.merchants.models import Membership
from apps.merchants.tests.factories import MembershipFactory
from apps.merchants.tests.two_factor import current_code
from apps.portal.tests.test_browser import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _fits(page) -> None:
    """Nothing on the page's own part (main) is wider than the phone; the menu above is shared
    by every page and fitted with them."""
    wide = page.evaluate(
        "[...document.querySelectorAll('main, main *')]"
        ".filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)"
        ".map(e => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`)"
    )
    assert wide == [], page.url


def test_an_owner_turns_on_two_factor_login_invites_a_shipper_who_joins(page, merchant):
    page.set_viewport_size({"width": 390, "height": 844})
    owner = MembershipFactory(merchant=merchant, role="owner", two_factor=False).user
    page.goto("/orders/")
    page.fill("#id_username", owner.username)
    page.fill("#id_password", PASSWORD)
    page.click("main button:text('Log in')")

    page.wait_for_url(re.compile(r"/account/two-factor/"))
    page.click("main button:text('Set up two-factor login')")
    expect(page.locator("img[alt^='QR code']")).to_be_visible()
    _fits(page)
    device = TOTPDevice.objects.get(user=owner, confirmed=False)
    page.fill("#id_token", current_code(device))
    page.click("main button:text('Turn on')")
    expect(page.locator("ul.codes li")).to_have_count(10)
    _fits(page)
    page.click("main a:text('Continue')")
    page.wait_for_url(re.compile(r"/orders/$"))  # back where the owner was going

    page.click("nav a:text('Team')")
    page.fill("#id_email", "li.wei@example.com")
    page.select_option("#id_role", "shipper")
    page.click("main button:text('Send invitation')")
    link = page.locator("code.secret").inner_text()
    _fits(page)
    page.goto("/team/")
    page.click("summary")  # what each role may do: a table of six columns
    _fits(page)

    invitee = page.context.browser.new_context(viewport={"width": 390, "height": 844})
    other = invitee.new_page()
    other.goto(link)
    other.fill("#id_username", "li.wei")
    other.fill("#id_password1", "a-long-new-pass-4817")
    other.fill("#id_password2", "a-long-new-pass-4817")
    other.click("main button:text('Make my login and join')")
    other.wait_for_url(re.compile(r"/dashboard/$"))  # the portal's home
    expect(other.locator("nav a:text('New order')")).to_be_visible()
    expect(other.locator("nav a:text('Team')")).to_have_count(0)
    invitee.close()

    assert Membership.objects.get(user__username="li.wei").role == "shipper"
    page.reload()
    expect(page.locator(".timeline")).to_contain_text("joined")
