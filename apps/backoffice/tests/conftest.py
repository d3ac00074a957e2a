import importlib

import pytest
from django.apps import apps


@pytest.fixture
def staff_roles(db):
    """The roles migration 0002 makes: a transactional test elsewhere in the run flushes the
    database and them with it, so they are made again here the way the migration makes them."""
    importlib.import_module("apps.backoffice.migrations.0002_staff_roles").create_roles(apps, None)
