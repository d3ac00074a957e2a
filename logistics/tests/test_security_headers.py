"""Every page carries a Content Security Policy and the usual security headers: the portal, the
buyer's tracking page, the login, the admin, the API and its docs."""

import pytest
from django.contrib.auth import get_user_model

STRICT = "script-src 'self'"


@pytest.fixture
def staff_client(client, db):
    staff = get_user_model().objects.create_superuser("ops", "ops@example.com", "pw")
    client.force_login(staff)
    return client


def _assert_secured(response, *, strict=True):
    policy = response.headers.get("Content-Security-Policy", "")
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert (STRICT + ";" in policy or policy.endswith(STRICT)) is strict
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/login/", "/track/", "/track/?tracking_number=NOPE", "/admin/login/", "/api/v1/orders/"])
def test_public_pages_and_the_api_are_secured(client, path):
    _assert_secured(client.get(path))


def test_the_portal_is_secured(client, merchant_user):
    client.force_login(merchant_user)

    for path in ["/orders/", "/orders/new/", "/api-keys/", "/webhook-endpoints/"]:
        response = client.get(path)
        assert response.status_code == 200, path
        _assert_secured(response)


def test_the_admin_is_secured(staff_client):
    for path in ["/admin/", "/admin/orders/order/", "/admin/scheduling/lane/"]:
        response = staff_client.get(path)
        assert response.status_code in (200, 404), path  # 404: an app without that admin page yet
        _assert_secured(response)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_the_api_docs_allow_inline_code_but_no_other_origin(client, path):
    response = client.get(path)

    assert response.status_code == 200
    _assert_secured(response, strict=False)
    assert "http" not in response.headers["Content-Security-Policy"]
