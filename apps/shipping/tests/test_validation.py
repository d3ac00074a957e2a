"""What an order must satisfy before any carrier sees it: each problem under its field path."""

from dataclasses import replace
from decimal import Decimal

import pytest

from apps.orders.tests.factories import address_draft, item_draft, order_draft, parcel_draft, sender_draft
from apps.shipping.exceptions import InvalidOrder
from apps.shipping.validation import validate_draft


def _with_item(**values):
    return order_draft(parcels=(parcel_draft(items=(item_draft(**values),)),))


def _with_parcel(**values):
    return order_draft(parcels=(parcel_draft(**values),))


# Countries whose addresses name their state, province or prefecture (Google's address data).
STATES = {"US": "CA", "JP": "Tokyo", "CA": "ON", "CN": "Beijing"}


def _to(country: str, postal_code: str):
    state = STATES.get(country, "")
    return order_draft(recipient=address_draft(country=country, postal_code=postal_code, state=state))


def _errors(draft) -> dict[str, list[str]]:
    with pytest.raises(InvalidOrder) as refused:
        validate_draft(draft)
    assert refused.value.code == "validation_error"
    return refused.value.extra["fields"]


def test_a_complete_cross_border_order_is_valid():
    validate_draft(order_draft())


@pytest.mark.parametrize(
    ("draft", "field"),
    [
        pytest.param(order_draft(recipient=address_draft(country="XX")), "recipient.country", id="recipient-country"),
        pytest.param(order_draft(sender=sender_draft(country="ZZ")), "sender.country", id="sender-country"),
        pytest.param(_with_item(origin_country="QQ"), "parcels[0].items[0].origin_country", id="origin-country"),
        pytest.param(_with_item(currency="ABC"), "parcels[0].items[0].currency", id="unknown-currency"),
        pytest.param(_with_item(currency="EU"), "parcels[0].items[0].currency", id="short-currency"),
        pytest.param(_with_item(currency="XXX"), "parcels[0].items[0].currency", id="no-currency-code"),
        pytest.param(_with_item(currency="XAU"), "parcels[0].items[0].currency", id="gold-is-not-money"),
        pytest.param(_with_item(hs_code=""), "parcels[0].items[0].hs_code", id="missing-hs-code"),
        pytest.param(_with_item(hs_code="61091"), "parcels[0].items[0].hs_code", id="5-digit-hs-code"),
        pytest.param(_with_item(hs_code="6109100"), "parcels[0].items[0].hs_code", id="7-digit-hs-code"),
        pytest.param(_with_item(hs_code="6109.10"), "parcels[0].items[0].hs_code", id="dotted-hs-code"),
        pytest.param(_with_item(hs_code="610910\n"), "parcels[0].items[0].hs_code", id="hs-code-trailing-newline"),
        pytest.param(_with_item(quantity=0), "parcels[0].items[0].quantity", id="zero-quantity"),
        pytest.param(_with_item(description=" "), "parcels[0].items[0].description", id="blank-description"),
        pytest.param(_with_parcel(weight_g=0), "parcels[0].weight_g", id="zero-weight"),
        pytest.param(_with_parcel(height_mm=-1), "parcels[0].height_mm", id="negative-height"),
        pytest.param(_with_parcel(items=()), "parcels[0].items", id="cross-border-parcel-without-items"),
        pytest.param(order_draft(parcels=()), "parcels", id="no-parcels"),
        pytest.param(order_draft(recipient=address_draft(email="anna@example")), "recipient.email", id="email"),
        pytest.param(order_draft(recipient=address_draft(email="a b@example.com")), "recipient.email", id="email-sp"),
        pytest.param(order_draft(recipient=address_draft(phone="call me")), "recipient.phone", id="phone-words"),
        pytest.param(order_draft(recipient=address_draft(phone="12345")), "recipient.phone", id="phone-too-short"),
        pytest.param(order_draft(recipient=address_draft(phone="+4930123\n")), "recipient.phone", id="phone-newline"),
        pytest.param(order_draft(recipient=address_draft(email="a@b.de\n")), "recipient.email", id="email-newline"),
        pytest.param(order_draft(recipient=address_draft(city="")), "recipient.city", id="missing-city"),
        pytest.param(order_draft(service_level="overnight"), "service_level", id="service-level"),
    ],
)
def test_an_invalid_field_is_reported_under_its_path(draft, field):
    assert list(_errors(draft)) == [field]


@pytest.mark.parametrize(
    ("country", "postal_code"),
    [
        ("GB", "SW1A 1AA"),
        ("GB", "sw1a 1aa"),
        ("GB", "M1 1AE"),
        ("GB", "B33 8TH"),
        ("GB", "EC1A1BB"),
        ("US", "94105"),
        ("US", "94105-1234"),
        ("NL", "1012 AB"),
        ("NL", "1012AB"),
        ("DE", "10115"),
        ("FR", "75001"),
        ("JP", "100-0001"),
        ("CA", "K1A 0B1"),
        ("SE", "114 55"),
        ("PL", "00-950"),
    ],
)
def test_valid_postcodes_pass(country, postal_code):
    validate_draft(_to(country, postal_code))


@pytest.mark.parametrize(
    ("country", "postal_code"),
    [
        ("GB", "12345"),
        ("GB", "SW1A"),
        ("GB", "SW1A 1A"),
        ("US", "9410"),
        ("US", "94105-12"),
        ("US", "ABCDE"),
        ("NL", "1012"),
        ("NL", "AB 1012"),
        ("NL", "1012 A1"),
        ("DE", "1011"),
        ("DE", "101155"),
    ],
)
def test_invalid_postcodes_are_refused(country, postal_code):
    errors = _errors(_to(country, postal_code))

    assert list(errors) == ["recipient.postal_code"]
    assert len(errors["recipient.postal_code"]) == 1
    assert errors["recipient.postal_code"][0].startswith(f"{postal_code!r} is not a valid {country} postcode")


@pytest.mark.parametrize("hs_code", ["610910", "61091000", "6109100010"])
def test_hs_codes_of_6_8_or_10_digits_pass(hs_code):
    validate_draft(_with_item(hs_code=hs_code))


@pytest.mark.parametrize("currency", ["EUR", "usd", "XOF", "XCD", "CNY"])
def test_real_currencies_pass(currency):
    validate_draft(_with_item(currency=currency))


def test_a_domestic_order_needs_no_hs_code_and_no_item_list():
    domestic = order_draft(
        recipient=address_draft(country="CN", postal_code="100000", city="Beijing", state="Beijing"),
        parcels=(parcel_draft(items=(item_draft(hs_code=""),)), parcel_draft(items=())),
    )

    validate_draft(domestic)


def test_every_problem_is_reported_at_once():
    draft = replace(
        _with_item(hs_code="", currency="ABC"),
        recipient=address_draft(postal_code="ABCDE", email="nope"),
    )

    assert set(_errors(draft)) == {
        "recipient.postal_code",
        "recipient.email",
        "parcels[0].items[0].hs_code",
        "parcels[0].items[0].currency",
    }


def test_problems_in_a_later_parcel_carry_its_index():
    draft = order_draft(parcels=(parcel_draft(), parcel_draft(items=(item_draft(), item_draft(hs_code="x")))))

    assert list(_errors(draft)) == ["parcels[1].items[1].hs_code"]


@pytest.mark.parametrize(
    ("draft", "field"),
    [
        (order_draft(parcels=(parcel_draft(),) * 51), "parcels"),
        (order_draft(parcels=(parcel_draft(items=(item_draft(),) * 101),)), "parcels[0].items"),
        (order_draft(parcels=(parcel_draft(items=(item_draft(quantity=10_001),)),)), "parcels[0].items[0].quantity"),
        (
            order_draft(parcels=(parcel_draft(items=(item_draft(quantity=10_000, unit_value=Decimal("10000.01")),)),)),
            "parcels",
        ),
    ],
    ids=["parcels per order", "items per parcel", "quantity", "declared value"],
)
def test_what_no_carrier_would_take_is_refused_under_its_field(draft, field):
    with pytest.raises(InvalidOrder) as refused:
        validate_draft(draft)

    assert list(refused.value.extra["fields"]) == [field]


def test_an_order_at_every_limit_is_valid():
    item = item_draft(quantity=10, unit_value=Decimal("1000.00"))  # 100 x 50 x 10,000 = 50,000,000

    validate_draft(order_draft(parcels=(parcel_draft(items=(item,) * 100),) * 50))
