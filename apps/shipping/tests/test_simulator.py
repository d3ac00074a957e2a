"""The admin's route simulator: staff enter an order's shape and see the ranked routes and exclusions."""

from decimal import Decimal

import pytest

from apps.common.models import OutboxEvent
from apps.merchants.tests.factories import UserFactory
from apps.orders.models import Order
from apps.resources.tests.factories import CarrierServiceFactory, CoverageFactory

URL = "/admin/route-simulator/"
ORDER = {
    "origin_country": "cn",
    "destination_country": "DE",
    "destination_postcode": "10115",
    "parcels": "1",
    "weight_g": "1200",
    "length_mm": "300",
    "width_mm": "200",
    "height_mm": "100",
    "declared_value": "25.00",
    "currency": "USD",
    "service_level": "standard",
    "strategy": "",
    "merchant": "",
}


def _service(carrier: str, *, base: str, level: str = "standard", days=(5, 8), max_weight_g=30_000):
    service = CarrierServiceFactory(
        carrier__code=carrier,
        code=level,
        level=level,
        base_price=Decimal(base),
        transit_days_min=days[0],
        transit_days_max=days[1],
        max_weight_g=max_weight_g,
    )
    CoverageFactory(service=service, origin_country="CN", destination_country="DE")


@pytest.fixture
def services(db):
    _service("pricey-post", base="20.00", days=(1, 2))  # 24.00 for 1.2 kg
    _service("cheap-post", base="8.00")  # 12.00
    _service("light-post", base="1.00", max_weight_g=1000)  # the parcel is too heavy
    _service("fast-post", base="1.00", level="express")


@pytest.fixture
def staff_client(client, db):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def _row(text: str, marker: str) -> str:
    text = text[text.index(marker) :]
    return text[: text.index("</tr>")]


def test_staff_see_the_ranked_options_with_breakdown_and_every_exclusion_with_its_reason(staff_client, services):
    response = staff_client.post(URL, ORDER)

    assert response.status_code == 200
    text = response.content.decode()
    first, second = _row(text, 'id="option-0"'), _row(text, 'id="option-1"')
    assert "cheap-post" in first and "12.00 USD" in first and "billed_kg: 2" in first and "total: 12.00" in first
    assert "pricey-post" in second and "24.00 USD" in second
    assert 'id="option-2"' not in text
    exclusions = text[text.index('id="exclusions"') :]
    assert "parcel of 1200 g exceeds the 1000 g limit" in exclusions
    assert "service level is express, not standard" in exclusions
    assert not Order.objects.exists() and not OutboxEvent.objects.exists()


def test_the_strategy_and_any_service_level_change_the_ranking(staff_client, services):
    fastest = staff_client.post(URL, ORDER | {"strategy": "fastest", "service_level": ""}).content.decode()

    assert "pricey-post" in _row(fastest, 'id="option-0"')
    assert "fast-post" in fastest[: fastest.index('id="exclusions"')]  # any level: express competes


def test_several_parcels_are_priced_together(staff_client, services):
    text = staff_client.post(URL, ORDER | {"parcels": "2"}).content.decode()

    assert "24.00 USD" in _row(text, 'id="option-0"')  # cheap-post: 2 x 8.00 + 4 kg x 2.00


def test_a_bad_entry_is_shown_beside_its_field(staff_client, services):
    response = staff_client.post(URL, ORDER | {"weight_g": "0"})

    assert "Ensure this value is greater than or equal to 1" in _row(response.content.decode(), 'id="field-weight_g"')
    assert 'id="options"' not in response.content.decode()


def test_the_admin_index_links_to_the_simulator(staff_client):
    assert f'href="{URL}"' in staff_client.get("/admin/").content.decode()


def test_non_staff_are_sent_to_the_admin_login(client, merchant_user):
    client.force_login(merchant_user)

    response = client.get(URL)

    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
