"""The browser tests' chromium and page (defined in test_browser.py), for every browser test here,
and the sandbox carriers the batch tests book with."""

from apps.batches.tests.conftest import carriers  # noqa: F401
from apps.portal.tests.test_browser import browser, page  # noqa: F401
