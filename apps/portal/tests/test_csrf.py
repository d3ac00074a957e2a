"""Sessions serve the portal and admin only: their forms stay CSRF-protected, and a session never
authenticates anything under /api/ (apps/erp_api/middleware.py keeps it off there)."""

import pytest
from django.test import Client

from apps.merchants.tests.two_factor import TwoFactorClient
from apps.orders.models import Order
from apps.orders.tests.factories import order_payload
from apps.portal.tests.test_portal import FORM


@pytest.fixture
def browser(merchant_user):
    """A logged-in browser whose posts Django checks for the CSRF token, as in production."""
    client = TwoFactorClient(enforce_csrf_checks=True)
    client.force_login(merchant_user)
    return client


def test_a_portal_form_posted_without_the_csrf_token_is_refused(browser, merchant, cn_de_service):
    response = browser.post("/orders/new/", FORM)

    assert response.status_code == 403
    assert not Order.objects.filter(merchant=merchant).exists()


def test_a_portal_form_posted_with_the_csrf_token_is_accepted(browser, merchant, cn_de_service):
    page = browser.get("/orders/new/")
    token = page.cookies["csrftoken"].value

    response = browser.post("/orders/new/", FORM | {"csrfmiddlewaretoken": token})

    assert response.status_code == 302
    assert Order.objects.filter(merchant=merchant, reference="P-1").exists()


def test_the_admin_login_refuses_a_post_without_the_csrf_token(db):
    response = Client(enforce_csrf_checks=True).post("/admin/login/", {"username": "a", "password": "b"})

    assert response.status_code == 403


def test_a_logged_in_session_does_not_authenticate_an_api_request(browser, merchant, cn_de_service):
    response = browser.post("/api/v1/orders/", order_payload(), content_type="application/json")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert not response.cookies  # no session or CSRF cookie is touched under /api/
    assert not Order.objects.filter(merchant=merchant).exists()
