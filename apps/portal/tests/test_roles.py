"""Each role may do what apps/merchants/permissions.py says, on every portal page, and nothing
else: a page its role may not use answers 403, and its links are not shown.

The pages are read from the portal's URL patterns, so a page added later is checked too; every
page except the public ones must go through `merchant_required`."""

import re

import pytest
from django.urls import URLPattern, get_resolver

from apps.merchants.models import Membership
from apps.merchants.permissions import ROLE_PERMISSIONS
from apps.merchants.tests.factories import MembershipFactory

PUBLIC = {"home", "login", "login-verify", "logout", "track", "merchant-logo", "invitation-accept"}


def _portal_pages() -> list[tuple[str, str, object]]:
    """(name, a URL for it, its view) for every named page of the portal."""
    resolver = get_resolver()
    pages = []
    for pattern in resolver.url_patterns:
        if getattr(pattern, "namespace", None) != "portal":
            continue
        for inner in pattern.url_patterns:
            if not isinstance(inner, URLPattern) or inner.name is None:
                continue
            path = "/" + re.sub(
                r"<(?:(\w+):)?\w+>",
                lambda m: "999999" if m.group(1) == "int" else "nope",
                str(inner.pattern),
            ).lstrip("^").rstrip("$")
            pages.append((inner.name, path, inner.callback))
    return pages


PAGES = [(name, path, view) for name, path, view in _portal_pages() if name not in PUBLIC]


def test_every_portal_page_but_the_public_ones_checks_the_role():
    unchecked = [name for name, _path, view in PAGES if not hasattr(view, "portal_permission")]

    assert unchecked == []


def _ask(client, path: str):
    """GET the page, or POST to it when it takes only POSTs: the answer tells whether the role
    got past the check (a 403 is the refusal; a 400 or 404 for the sample data is past it)."""
    response = client.get(path)
    if response.status_code == 405:
        response = client.post(path, {})
    return response


@pytest.mark.parametrize("role", Membership.Role.values)
@pytest.mark.parametrize(("name", "path", "view"), PAGES, ids=[name for name, _p, _v in PAGES])
def test_each_role_opens_exactly_the_pages_its_permissions_allow(client, merchant, role, name, path, view):
    # An owner of its own, so that removing or demoting the sample member is not refused for
    # being the last owner (that rule has its own tests).
    MembershipFactory(merchant=merchant)
    client.force_login(MembershipFactory(merchant=merchant, role=role).user)
    permission = view.portal_permission

    response = _ask(client, path)

    allowed = permission is None or permission in ROLE_PERMISSIONS[role]
    if allowed:
        assert response.status_code != 403, f"{role} was refused {name}"
        assert response.status_code < 500
    else:
        assert response.status_code == 403, f"{role} got {response.status_code} from {name} ({permission})"
        assert "does not allow this" in response.content.decode()


@pytest.mark.parametrize(
    ("role", "shown", "hidden"),
    [
        ("viewer", ["/orders/"], ["/orders/new/", "/api-keys/", "/webhook-endpoints/", "/team/"]),
        ("shipper", ["/orders/", "/orders/new/", "/stock/"], ["/api-keys/", "/team/"]),
        ("developer", ["/orders/", "/api-keys/", "/webhook-endpoints/"], ["/orders/new/", "/team/"]),
        ("admin", ["/orders/new/", "/api-keys/", "/team/"], []),
        ("owner", ["/orders/new/", "/api-keys/", "/team/"], []),
    ],
)
def test_the_menu_shows_only_what_the_role_may_use(client, merchant, role, shown, hidden):
    client.force_login(MembershipFactory(merchant=merchant, role=role).user)

    page = client.get("/orders/").content.decode()
    nav = page[page.index("<nav") : page.index("</nav>")]

    assert all(f'href="{link}"' in nav for link in shown)
    assert not any(f'href="{link}"' in nav for link in hidden)
