"""The admin's route simulator: staff enter an order's shape and see the ranked routes and exclusions."""

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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


def _stocked(merchant, code, stock, fee="1.00"):
    from apps.warehouse.tests.stocked import stocked_warehouse

    stocked_warehouse(merchant_id=merchant.pk, stock=stock, code=code, carrier_codes=("cheap-post",), handling_fee=fee)


def _from_stock(merchant, skus, ship_from="any"):
    return ORDER | {"merchant": str(merchant.pk), "ship_from": ship_from, "skus": skus}


def test_from_stock_the_simulator_is_given_the_stock_and_picks_the_warehouse_intake_picks(
    staff_client, services, merchant
):
    from apps.orders.tests.factories import item_draft, order_draft, parcel_draft
    from apps.shipping.services import order_submit

    _stocked(merchant, "sz-1", {"TS-1": 5}, fee="4.00")
    _stocked(merchant, "sz-2", {"TS-1": 5}, fee="0.50")
    _stocked(merchant, "sz-3", {"TS-1": 1}, fee="0.10")

    text = staff_client.post(URL, _from_stock(merchant, "TS-1=2")).content.decode()

    assert "one warehouse" in text[text.index('id="plan"') :]
    assert "sz-2" in _row(text, 'id="part-1"') and "cheap-post" in _row(text, 'id="part-1"')
    assert "<td>sz-2</td>" in text[text.index('id="options"') : text.index('id="exclusions"')]
    exclusions = text[text.index('id="exclusions"') :]
    assert "sz-3" in exclusions and "warehouse lacks stock of TS-1" in exclusions
    draft = order_draft(parcels=(parcel_draft(items=(item_draft(sku="TS-1", quantity=2),)),))
    order = order_submit(merchant_id=merchant.pk, draft=draft, actor="t", channel="api", warehouse="any")
    assert (order.warehouse_code, order.carrier_code) == ("sz-2", "cheap-post")
    assert not Order.objects.exclude(pk=order.pk).exists()  # the simulator recorded nothing


def test_from_stock_no_warehouse_holds_whole_the_simulator_shows_the_split(staff_client, services, merchant):
    _stocked(merchant, "sz-1", {"TS-1": 5})
    _stocked(merchant, "sz-2", {"MUG": 5})

    text = staff_client.post(URL, _from_stock(merchant, "TS-1=2, MUG=1")).content.decode()

    assert "split into 2 packages" in text
    assert "sz-1" in _row(text, 'id="part-1"') and "TS-1 x 2" in _row(text, 'id="part-1"')
    assert "sz-2" in _row(text, 'id="part-2"') and "MUG x 1" in _row(text, 'id="part-2"')


def test_from_stock_the_simulator_shows_the_refusal_intake_would_give(staff_client, services, merchant):
    _stocked(merchant, "sz-1", {"TS-1": 1})

    text = staff_client.post(URL, _from_stock(merchant, "TS-1=3", ship_from="sz-1")).content.decode()

    assert "out_of_stock: Not enough stock at sz-1 for TS-1." in _row(text.replace("</p>", "</tr>"), 'id="refusal"')


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        pytest.param({"ship_from": "any", "skus": "TS-1=1"}, "merchant", id="whose-stock"),
        pytest.param({"ship_from": "any", "skus": "TS-1=x"}, "skus", id="bad-quantity"),
    ],
)
def test_from_stock_the_simulator_needs_a_merchant_and_sku_lines(staff_client, services, changes, field):
    response = staff_client.post(URL, ORDER | changes)

    assert 'class="errorlist' in _row(response.content.decode(), f'id="field-{field}"')
    assert 'id="options"' not in response.content.decode()


_TEXT = st.one_of(
    st.just(""),
    st.text(st.characters(codec="utf-8"), max_size=12),
    st.text(st.characters(categories=["Cc"]), min_size=1, max_size=4),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(["TS-1=2", "TS-1=0", "TS-1=²", "=3", "TS-1=١٢٣", "TS-1=2,MUG=1", "x" * 70 + "=1", "any", "sz-1"]),
)
SIMULATOR_FIELDS = sorted(set(ORDER) | {"ship_from", "skus", "contents"})


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(changes=st.dictionaries(st.sampled_from(SIMULATOR_FIELDS), _TEXT, min_size=1, max_size=4))
def test_the_simulator_never_crashes(staff_client, services, merchant, changes):
    _stocked(merchant, "sz-1", {"TS-1": 5})

    response = staff_client.post(URL, ORDER | {"merchant": str(merchant.pk), "ship_from": "any"} | changes)

    assert response.status_code == 200
