"""Fixtures shared by every app's tests."""

import os
from datetime import datetime

import pytest
import redis
import time_machine
from django.conf import settings
from django.utils import translation

from apps.merchants.services import api_key_issue
from apps.merchants.tests.factories import MembershipFactory, MerchantFactory
from apps.merchants.tests.two_factor import TwoFactorClient
from apps.resources.tests.factories import CoverageFactory


@pytest.fixture(autouse=True)
def _english_at_the_start():
    """Each test starts in the default language: a request that chose Chinese leaves it active in
    the thread (LocaleMiddleware activates and never resets), and lazy strings would follow it."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def merchant(db):
    return MerchantFactory()


@pytest.fixture
def merchant_user(merchant):
    return MembershipFactory(merchant=merchant).user


@pytest.fixture
def client():
    """pytest-django's client, whose logins also pass the two-factor step: test owners have an
    authenticator (MembershipFactory) and the portal asks owners for a code after the password."""
    return TwoFactorClient()


@pytest.fixture
def admin_client(db, admin_user):
    """pytest-django's admin_client, logged in past the admin's second factor (logistics/admin_site.py)."""
    client = TwoFactorClient()
    client.force_login(admin_user)
    return client


@pytest.fixture
def api_key(merchant):
    """The plaintext of a key with every scope for `merchant`."""
    _, plaintext = api_key_issue(merchant=merchant, name="test")
    return plaintext


@pytest.fixture
def cn_de_service(db):
    """One active carrier service from CN to DE: enough for an order to be routed."""
    return CoverageFactory(service__carrier__code="test-post").service


@pytest.fixture
def api_client(api_key):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key}")
    return client


@pytest.fixture(autouse=True)
def fresh_redis_state():
    """Every test starts with every carrier's circuit closed, every rate-limit bucket full and
    every lane's gate empty."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    for pattern in (f"{settings.CARRIER_BREAKER_NAMESPACE}:*", "rl:*", f"{settings.LANE_GATE_NAMESPACE}:*"):
        for key in client.scan_iter(pattern):
            client.delete(key)


@pytest.fixture(autouse=True, scope="session")
def suite_clock():
    """With TEST_CLOCK=<ISO instant> the whole run has Python's clock moved there once, at its
    start, and ticking on from there (not reset per test, which would turn the clock back under
    time-ordered ids): `make test` runs the clock-dependent tests (marker `clock`) so on other
    dates, so that none passes only on the day it was written. A test that travels itself wins."""
    at = os.environ.get("TEST_CLOCK")
    if not at:
        yield
        return
    with time_machine.travel(datetime.fromisoformat(at), tick=True):
        yield
