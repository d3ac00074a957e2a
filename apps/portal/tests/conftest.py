"""The browser tests' chromium and page (defined in test_browser.py), for every browser test here."""

from apps.portal.tests.test_browser import browser, page  # noqa: F401
