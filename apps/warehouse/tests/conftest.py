import pytest

from apps.resources.services import warehouse_upsert
from apps.warehouse.services import shared
from apps.warehouse.tests.fake_wms import FakeWms


@pytest.fixture
def warehouse(db):
    return warehouse_upsert(
        code="hk-1",
        name="Hong Kong 1",
        country="HK",
        city="Hong Kong",
        ships_to=["DE", "FR"],
        endpoint_url="http://127.0.0.1:9/wms/hk-1/",
        handling_fee=0,
        currency="USD",
        carrier_codes=[],
    )


@pytest.fixture
def wms(monkeypatch, warehouse):
    """An in-memory WMS behind the gateway interface (the sandbox WMS plays it over HTTP in the
    end-to-end tests); it keeps what it was asked, like a real one."""
    fake = FakeWms(warehouse_code=warehouse.code)

    def gateway_for(row, *, observer=None, **options):
        fake.observer = observer
        return fake

    monkeypatch.setattr(shared, "wms_gateway_for", gateway_for)
    return fake
