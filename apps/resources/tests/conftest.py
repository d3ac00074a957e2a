from decimal import Decimal

import pytest

from apps.resources.models import ExchangeRate

RATES = {"USD": "1", "EUR": "1.08", "GBP": "1.27", "CNY": "0.138"}


@pytest.fixture
def rates(db):
    """The exchange rates migration 0003 seeds (a flushed test database has lost them)."""
    for currency, rate in RATES.items():
        ExchangeRate.objects.update_or_create(currency=currency, defaults={"usd_per_unit": Decimal(rate)})
    return RATES
