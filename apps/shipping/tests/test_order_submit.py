"""Intake: an order is validated, routed to one carrier service and recorded, or refused whole."""

from decimal import Decimal

import pytest

from apps.common.models import OutboxEvent
from apps.orders.models import Order
from apps.orders.tests.factories import address_draft, item_draft, order_draft, parcel_draft
from apps.resources.models import CarrierService
from apps.resources.tests.factories import CarrierServiceFactory, CoverageFactory
from apps.shipping.exceptions import InvalidOrder, NoRouteAvailable, RouteNotEligible, UnknownStrategy
from apps.shipping.services import order_submit


def _service(carrier: str, *, base: str, level: str = "standard", status: str = "active", lane=("CN", "DE")):
    service = CarrierServiceFactory(
        carrier__code=carrier, carrier__status=status, code=level, level=level, base_price=Decimal(base)
    )
    CoverageFactory(service=service, origin_country=lane[0], destination_country=lane[1])
    return service


@pytest.fixture
def services(db):
    """Four services CN→DE; for the default 1.2 kg standard parcel only two are eligible."""
    _service("pricey-post", base="20.00")  # 20 + 2 kg x 2 = 24.00
    _service("cheap-post", base="8.00")  # 8 + 2 kg x 2 = 12.00
    _service("fast-post", base="1.00", level="express")
    _service("closed-post", base="1.00", status="suspended")


def _submit(merchant, draft=None, **kwargs) -> Order:
    return order_submit(
        merchant_id=merchant.pk, draft=draft or order_draft(), actor="user:1", channel="portal", **kwargs
    )


def _nothing_written() -> bool:
    return not Order.objects.exists() and not OutboxEvent.objects.exists()


def test_the_cheapest_eligible_service_is_chosen_and_the_choice_explained(merchant, services):
    order = _submit(merchant)

    row = Order.objects.get(pk=order.pk)
    assert (row.carrier_code, row.service_code, row.quoted_price, row.quoted_currency) == (
        "cheap-post",
        "standard",
        Decimal("12.00"),
        "USD",
    )
    assert row.route_explanation | {"score": None} == {
        "strategy": "cheapest",
        "chosen_by": "platform",
        "score": None,
        "alternatives": 1,
        "breakdown": {"base": "8.00", "weight": "4.00", "billed_kg": 2, "total": "12.00"},
    }
    assert list(OutboxEvent.objects.values_list("event_type", "aggregate_id")) == [
        ("orders.order.accepted", str(order.pk))
    ]


def test_a_chosen_eligible_route_is_honoured_even_when_dearer(merchant, services):
    order = _submit(merchant, chosen_route=("pricey-post", "standard"))

    row = Order.objects.get(pk=order.pk)
    assert (row.carrier_code, row.quoted_price) == ("pricey-post", Decimal("24.00"))
    assert (row.route_explanation["chosen_by"], row.route_explanation["alternatives"]) == ("merchant", 1)


@pytest.mark.parametrize(
    ("chosen", "reason"),
    [
        (("fast-post", "express"), "service level is express, not standard"),
        (("closed-post", "standard"), "carrier is suspended"),
        (("nobody", "standard"), "no such carrier service"),
    ],
    ids=["wrong-level", "suspended", "unknown"],
)
def test_a_chosen_route_that_cannot_take_the_order_is_refused_with_the_reason(merchant, services, chosen, reason):
    with pytest.raises(RouteNotEligible) as refused:
        _submit(merchant, chosen_route=chosen)

    assert refused.value.http_status == 422
    assert refused.value.extra["reason"] == reason
    assert refused.value.extra["fields"] == {
        "carrier_service": [f"{chosen[0]}/{chosen[1]} cannot take this order: {reason}."]
    }
    assert _nothing_written()


def test_without_a_choice_the_platform_decides_by_the_strategy_asked_for(merchant, services):
    CarrierService.objects.filter(carrier__code="pricey-post").update(transit_days_min=1, transit_days_max=2)
    CarrierService.objects.filter(carrier__code="cheap-post").update(transit_days_min=6, transit_days_max=9)

    fastest = _submit(merchant, strategy="fastest")
    cheapest = _submit(merchant)

    rows = Order.objects.in_bulk([fastest.pk, cheapest.pk])
    assert (rows[fastest.pk].carrier_code, rows[fastest.pk].route_explanation["strategy"]) == ("pricey-post", "fastest")
    assert (rows[cheapest.pk].carrier_code, rows[cheapest.pk].route_explanation["strategy"]) == (
        "cheap-post",
        "cheapest",
    )
    assert rows[cheapest.pk].route_explanation["chosen_by"] == "platform"


def test_an_unknown_strategy_is_refused_and_nothing_recorded(merchant, services):
    with pytest.raises(UnknownStrategy) as refused:
        _submit(merchant, strategy="slowest")

    assert list(refused.value.extra["fields"]) == ["strategy"]
    assert _nothing_written()


def test_the_service_level_asked_for_decides_which_services_compete(merchant, services):
    order = _submit(merchant, order_draft(service_level="express"))

    assert Order.objects.get(pk=order.pk).carrier_code == "fast-post"


def test_an_order_no_service_can_take_is_refused_with_every_reason_and_nothing_recorded(merchant, services):
    to_france = order_draft(recipient=address_draft(country="FR", postal_code="75001", city="Paris"))

    with pytest.raises(NoRouteAvailable) as refused:
        _submit(merchant, to_france)

    assert refused.value.http_status == 422
    assert sorted(refused.value.extra["exclusions"], key=lambda e: e["carrier"]) == [
        {"carrier": "cheap-post", "service": "standard", "reason": "does not serve CN→FR"},
        {"carrier": "closed-post", "service": "standard", "reason": "carrier is suspended"},
        {"carrier": "fast-post", "service": "express", "reason": "service level is express, not standard"},
        {"carrier": "pricey-post", "service": "standard", "reason": "does not serve CN→FR"},
    ]
    assert _nothing_written()


def test_an_invalid_order_is_refused_before_routing_and_nothing_is_recorded(merchant, services):
    without_hs_code = order_draft(parcels=(parcel_draft(items=(item_draft(hs_code=""),)),))

    with pytest.raises(InvalidOrder) as refused:
        _submit(merchant, without_hs_code)

    assert list(refused.value.extra["fields"]) == ["parcels[0].items[0].hs_code"]
    assert _nothing_written()


def test_a_domestic_order_goes_without_hs_codes(merchant):
    _service("cn-express", base="5.00", lane=("CN", "CN"))
    domestic = order_draft(
        recipient=address_draft(name="Li Wei", city="Beijing", state="Beijing", postal_code="100000", country="CN"),
        parcels=(parcel_draft(items=(item_draft(hs_code=""),)),),
    )

    order = _submit(merchant, domestic)

    row = Order.objects.get(pk=order.pk)
    assert (row.state, row.carrier_code, row.recipient_country) == ("accepted", "cn-express", "CN")
    assert list(row.parcels.get().items.values_list("hs_code", flat=True)) == [""]


def test_codes_are_normalised_before_they_are_checked_and_stored(merchant, services):
    draft = order_draft(
        recipient=address_draft(country="gb", postal_code=" sw1a 1aa "),
        parcels=(parcel_draft(items=(item_draft(currency="eur", origin_country="cn"),)),),
    )
    CoverageFactory(service__carrier__code="uk-post", origin_country="CN", destination_country="GB")

    order = _submit(merchant, draft)

    row = Order.objects.get(pk=order.pk)
    assert (row.recipient_country, row.recipient_postal_code, row.carrier_code) == ("GB", "SW1A 1AA", "uk-post")
    assert list(row.parcels.get().items.values_list("currency", "origin_country")) == [("EUR", "CN")]
