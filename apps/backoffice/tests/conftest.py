import importlib

import pytest
from django.apps import apps

from apps.merchants.tests.factories import UserFactory


@pytest.fixture
def staff_roles(db):
    """The roles migrations 0002 and 0003 make: a transactional test elsewhere in the run flushes the
    database and them with it, so they are made again here the way the migration makes them."""
    importlib.import_module("apps.backoffice.migrations.0002_staff_roles").create_roles(apps, None)
    importlib.import_module("apps.backoffice.migrations.0003_audit_and_assignments").grant(apps, None)


@pytest.fixture
def staff(db):
    return UserFactory(is_staff=True, is_superuser=True, username="oncall")


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture(autouse=True)
def no_heartbeats():
    """Heartbeats written by one test (as a worker would) are not seen by the next."""
    from apps.common.workers import HEARTBEATS_KEY, _redis

    _redis().delete(HEARTBEATS_KEY)
    yield
    _redis().delete(HEARTBEATS_KEY)
