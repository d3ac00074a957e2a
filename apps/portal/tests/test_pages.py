"""Every portal page (found in the URLconf, apps/portal/tests/pages.py) is cheap and self-contained:
at most MAX_QUERIES SQL queries, a Content-Security-Policy, nothing loaded from another origin, no
inline script or style, and at most 60 KB of JavaScript after gzip."""

import gzip
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from apps.merchants.tests.two_factor import TwoFactorClient
from apps.portal.tests.pages import owner_of, portal_pages
from apps.portal.tests.test_portal import FORM

MAX_QUERIES = 12
MAX_SCRIPT_BYTES = 60 * 1024  # compressed, per page

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_client(merchant, cn_de_service):
    client = TwoFactorClient()
    client.force_login(owner_of(merchant))
    return client


@pytest.fixture
def pages(merchant, owner_client):
    found = portal_pages(merchant, owner_client)
    assert {"dashboard", "order-list", "order-create", "order-detail", "login", "track"} <= {p.name for p in found}
    return found


class _Resources(HTMLParser):
    """What a page makes the browser load, and what it carries inline."""

    def __init__(self):
        super().__init__()
        self.loaded: list[str] = []
        self.scripts: list[str] = []
        self.inline: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "style" in attrs:
            self.inline.append(f"style attribute on <{tag}>")
        if any(name.startswith("on") for name in attrs):
            self.inline.append(f"event handler on <{tag}>")
        if tag == "script":
            if attrs.get("src"):
                self.scripts.append(attrs["src"])
                self.loaded.append(attrs["src"])
            else:
                self.inline.append("inline <script>")
        elif tag == "style":
            self.inline.append("<style>")
        elif tag in ("img", "iframe", "source", "audio", "video") and attrs.get("src"):
            self.loaded.append(attrs["src"])
        elif tag == "link" and attrs.get("href"):
            self.loaded.append(attrs["href"])


def _parse(response) -> _Resources:
    parser = _Resources()
    parser.feed(response.content.decode())
    return parser


def _client_for(page, owner_client) -> Client:
    return Client() if page.anonymous else owner_client


def test_the_dashboard_draws_its_charts_for_the_sweeps(pages, owner_client):
    html = owner_client.get("/dashboard/").content.decode()

    assert html.count('src="data:image/svg+xml;base64,') == 4  # the sweeps see every chart


def test_every_page_takes_at_most_twelve_queries(pages, owner_client, django_assert_max_num_queries):
    for page in pages:
        client = _client_for(page, owner_client)
        with django_assert_max_num_queries(MAX_QUERIES, info=page.path):
            assert client.get(page.path).status_code == 200


def test_every_page_has_a_content_security_policy_and_loads_nothing_from_elsewhere(pages, owner_client):
    for page in pages:
        response = _client_for(page, owner_client).get(page.path)
        policy = response.headers.get("Content-Security-Policy", "")
        assert "default-src 'self'" in policy and "script-src 'self'" in policy, page.path
        assert "unsafe-inline" not in policy and "http" not in policy, page.path
        found = _parse(response)
        foreign = [url for url in found.loaded if re.match(r"^([a-z]+:)?//", url)]
        assert foreign == [], page.path
        assert all(url.startswith(("/", "data:")) for url in found.loaded), (page.path, found.loaded)
        assert found.inline == [], page.path


def _script_size(src: str) -> int:
    name = src.split("?")[0].removeprefix("/static/")
    path = finders.find(name)
    assert path, f"{src} is not one of our static files"
    return len(gzip.compress(Path(path).read_bytes(), compresslevel=9))


def test_every_page_carries_at_most_60_kb_of_compressed_javascript(pages, owner_client):
    for page in pages:
        scripts = _parse(_client_for(page, owner_client).get(page.path)).scripts
        assert sum(_script_size(src) for src in scripts) <= MAX_SCRIPT_BYTES, (page.path, scripts)


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("recipient_postal_code", "ABC", "valid DE postcode"),  # the intake's check, after the form's
        ("parcels-0-weight_g", "-5", "greater than or equal to 1"),  # the form's own
        ("items-0-quantity", "3000000000", "less than or equal to"),
    ],
)
def test_each_field_error_is_tied_to_its_field(owner_client, name, value, words):
    response = owner_client.post("/orders/new/", {**FORM, name: value})

    html = response.content.decode()
    field = re.search(rf'<input[^>]*name="{name}"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in field
    described_by = re.search(r'aria-describedby="([^"]+)"', field).group(1)
    error = re.search(rf'<ul class="errorlist" id="{described_by}"><li>([^<]+)</li>', html)
    assert error, f"{name}: its aria-describedby names no error list"
    assert words in error.group(1)


def test_every_input_has_an_accessible_name(owner_client):
    html = owner_client.get("/orders/new/").content.decode()

    for field in re.findall(r"<(?:input|select|textarea)\b[^>]*>", html):
        if 'type="hidden"' in field or 'type="radio"' in field:
            continue
        field_id = re.search(r'id="([^"]+)"', field)
        labelled = "aria-label=" in field or (field_id and f'for="{field_id.group(1)}"' in html)
        assert labelled, field
