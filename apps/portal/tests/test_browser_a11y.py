"""Every portal page, the tracking page and the login page in a real browser, in English and in
Chinese: no sideways scrolling at 390x844 (a phone) nor at 1280x800, no critical or serious axe-core
violation of WCAG 2.2 AA, and the order form usable by keyboard alone with a visible focus.

The pages come from the portal's URLconf (apps/portal/tests/pages.py), so a page added there is
swept too."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings

from apps.merchants.tests.two_factor import TwoFactorClient
from apps.portal.tests.pages import owner_of, portal_pages

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

VIEWPORTS = [{"width": 390, "height": 844}, {"width": 1280, "height": 800}]
LANGUAGES = ["en", "zh-hans"]
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
BLOCKING = {"critical", "serious"}


@pytest.fixture
def swept(merchant, cn_de_service):
    """The owner who visits, and the pages found for them."""
    owner = owner_of(merchant)
    client = TwoFactorClient()
    client.force_login(owner)
    return owner, portal_pages(merchant, client)


def _context(browser, live_server, *, viewport, language, user=None):
    context = browser.new_context(
        base_url=live_server.url, viewport=viewport, extra_http_headers={"Accept-Language": language}
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    if user is not None:
        # The session of a login that passed both steps: a code works once (replays are refused),
        # and the sweep opens several browsers within one code's 30 s.
        client = TwoFactorClient()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
    return context, page


def _visit_all(browser, live_server, pages, user, *, viewport, language, check):
    problems = []
    for anonymous in (False, True):
        context, page = _context(
            browser, live_server, viewport=viewport, language=language, user=None if anonymous else user
        )
        try:
            for swept_page in [p for p in pages if p.anonymous == anonymous]:
                answer = page.goto(swept_page.path)
                assert answer.status == 200, swept_page.path
                problems += [(swept_page.path, problem) for problem in check(page)]
        finally:
            context.close()
    return problems


def _sideways(page) -> list[str]:
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    if widths[0] <= widths[1]:
        return []
    wide = page.evaluate(
        """[...document.querySelectorAll('body *')]
             .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
             .slice(0, 3).map(e => e.tagName + (e.id ? '#' + e.id : '') + '.' + e.className)"""
    )
    return [f"scrollWidth {widths[0]} > {widths[1]}: {wide}"]


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=lambda v: f"{v['width']}x{v['height']}")
def test_every_page_fits_the_screen_without_sideways_scrolling(browser, live_server, swept, viewport):
    owner, pages = swept
    problems = []
    for language in LANGUAGES:
        problems += _visit_all(
            browser, live_server, pages, owner, viewport=viewport, language=language, check=_sideways
        )
    assert problems == []


AXE = Axe()


def _axe(page) -> list[str]:
    results = AXE.run(page, options={"runOnly": {"type": "tag", "values": WCAG_22_AA}, "resultTypes": ["violations"]})
    return [
        f"{v['impact']} {v['id']}: {[node['target'] for node in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in BLOCKING
    ]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_has_no_critical_or_serious_axe_violation(browser, live_server, swept, language):
    owner, pages = swept
    problems = _visit_all(browser, live_server, pages, owner, viewport=VIEWPORTS[1], language=language, check=_axe)
    problems += _visit_all(browser, live_server, pages, owner, viewport=VIEWPORTS[0], language=language, check=_axe)
    assert problems == []


FOCUSED = """() => {
  const e = document.activeElement;
  const style = getComputedStyle(e);
  return {
    tag: e.tagName, name: e.name || e.id || e.textContent.trim().slice(0, 20),
    outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
    visible: e.matches(':focus-visible'),
  };
}"""


def test_the_order_form_is_used_by_keyboard_with_a_visible_focus(browser, live_server, swept):
    owner, _pages = swept
    context, page = _context(browser, live_server, viewport=VIEWPORTS[1], language="en", user=owner)
    try:
        page.goto("/orders/new/")
        stops = []
        for _ in range(30):
            page.keyboard.press("Tab")
            stops.append(page.evaluate(FOCUSED))
        in_form = [s for s in stops if s["tag"] in ("INPUT", "SELECT", "BUTTON", "TEXTAREA")]
        names = [s["name"] for s in in_form]
        assert "reference" in names and "sender_name" in names  # Tab walks into the form's fields
        assert len(set(map(str, stops))) > 20  # and moves on each press
        assert [s for s in stops if not (s["visible"] and s["outline"])] == []  # each stop shows it has the focus

        page.focus("[name='recipient_name']")
        page.keyboard.type("Anna Schmidt")
        assert page.input_value("[name='recipient_name']") == "Anna Schmidt"

        # Sent by keyboard with fields missing: the errors are beside their fields, tied to them, and
        # the page with its errors has no critical or serious violation either.
        page.focus("button[value='submit']")
        page.keyboard.press("Enter")
        page.wait_for_selector("[aria-invalid='true']")
        invalid = page.locator("[aria-invalid='true']").first
        described = invalid.get_attribute("aria-describedby")
        assert page.locator(f"#{described.split()[0]}").inner_text().strip()
        assert _axe(page) == []
    finally:
        context.close()
