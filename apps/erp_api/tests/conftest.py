import pytest
from rest_framework.test import APIClient

from apps.merchants.services import api_key_issue
from apps.merchants.tests.factories import MerchantFactory


@pytest.fixture
def other_merchant(db):
    return MerchantFactory()


@pytest.fixture
def other_client(other_merchant):
    """Merchant B's ERP, with a key carrying every scope."""
    _, plaintext = api_key_issue(merchant=other_merchant, name="b")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    return client
