"""The back office: credentials never shown whole, rate cards to and from CSV, and every catalogue
write reaching routing through the catalogue version."""

from dataclasses import replace
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from apps.resources.admin import CarrierForm
from apps.resources.catalogue import catalogue_version
from apps.resources.exceptions import RateCardInvalid
from apps.resources.models import Carrier, ExchangeRate, RateBreak
from apps.resources.selectors import rate_card_csv, route_options
from apps.resources.services import rate_card_import
from apps.resources.tests.factories import (
    CarrierFactory,
    CarrierServiceFactory,
    CoverageFactory,
    RateBreakFactory,
    RateCardFactory,
    ZoneFactory,
)
from apps.resources.types import ShipmentProfile

KEY = "live-secret-key-ABCD9876"
CSV = "zone,up_to_g,price,extra_per_kg\nde,1000,4.00,0.00\nde,5000,6.50,1.20\nfr,2000,7.00,0.00\n"


@pytest.fixture
def card(db):
    service = CarrierServiceFactory(carrier__code="regio")
    ZoneFactory(carrier=service.carrier, code="de", countries=["DE"])
    ZoneFactory(carrier=service.carrier, code="fr", countries=["FR"])
    return RateCardFactory(service=service)


def test_the_carrier_pages_show_only_the_last_four_characters_of_the_api_key(admin_client):
    carrier = CarrierFactory(code="swift", api_key=KEY)

    listing = admin_client.get(reverse("admin:resources_carrier_changelist")).content.decode()
    page = admin_client.get(reverse("admin:resources_carrier_change", args=[carrier.pk])).content.decode()

    for html in (listing, page):
        assert KEY not in html and KEY[:-4] not in html
        assert "••••••••9876" in html


@pytest.mark.parametrize(("typed", "kept"), [("", KEY), ("  new-key-1234  ", "new-key-1234")])
def test_the_api_key_is_replaced_only_when_a_new_one_is_typed(db, typed, kept):
    carrier = CarrierFactory(code="swift", api_key=KEY)
    data = {
        "code": "swift",
        "name": "Swift",
        "gateway_kind": "sandbox",
        "endpoint_url": "http://127.0.0.1:1/",
        "status": "active",
        "requests_per_second": 20,
        "max_concurrent_calls": 10,
        "timezone": "Europe/Berlin",
        "new_api_key": typed,
    }

    form = CarrierForm(data=data, instance=carrier)
    assert form.is_valid(), form.errors
    form.save()

    assert Carrier.objects.get(pk=carrier.pk).api_key == kept


def test_a_rate_card_survives_a_csv_round_trip(card):
    assert rate_card_import(card_id=card.pk, text=CSV) == 3
    exported = rate_card_csv(card_id=card.pk)
    other = RateCardFactory(service=CarrierServiceFactory(carrier=card.service.carrier, code="express"))

    rate_card_import(card_id=other.pk, text=exported)

    assert exported == CSV
    assert rate_card_csv(card_id=other.pk) == CSV


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        pytest.param(
            "zone,up_to_g,price,extra_per_kg\nde,1000,4.00,0\nxx,abc,-1,0.001\n",
            {
                3: [
                    "zone 'xx' is not a zone of regio",
                    "up_to_g 'abc' is not a positive whole number of grams",
                    "price '-1' is not an amount with at most 2 decimals",
                    "extra_per_kg '0.001' is not an amount with at most 2 decimals",
                ]
            },
            id="bad-values",
        ),
        pytest.param(
            "zone,up_to_g,price,extra_per_kg\nde,1000,4.00,0\nde,1000,5.00,0\n",
            {3: ["zone de has the break 1000 g twice"]},
            id="duplicate-break",
        ),
        pytest.param("zone,weight,price\nde,1000,4.00\n", {}, id="missing-column"),
    ],
)
def test_an_invalid_csv_reports_every_bad_line_and_changes_nothing(card, text, lines):
    RateBreakFactory(card=card, zone=card.service.carrier.zones.get(code="de"), up_to_g=500, price=Decimal("3.00"))

    with pytest.raises(RateCardInvalid) as refused:
        rate_card_import(card_id=card.pk, text=text)

    assert refused.value.extra["lines"] == lines
    assert list(RateBreak.objects.filter(card=card).values_list("up_to_g", "price")) == [(500, Decimal("3.00"))]


def test_the_admin_exports_and_imports_a_rate_card(admin_client, card):
    imported = admin_client.post(
        reverse("admin:resources_ratecard_import", args=[card.pk]),
        {"file": SimpleUploadedFile("card.csv", CSV.encode(), content_type="text/csv")},
    )
    exported = admin_client.post(
        reverse("admin:resources_ratecard_changelist"),
        {"action": "export_csv", "_selected_action": [card.pk]},
    )

    assert imported.status_code == 302
    assert exported["Content-Type"] == "text/csv"
    assert exported.content.decode() == CSV


def test_the_admin_import_page_lists_the_bad_lines(admin_client, card):
    response = admin_client.post(
        reverse("admin:resources_ratecard_import", args=[card.pk]),
        {"file": SimpleUploadedFile("card.csv", b"zone,up_to_g,price,extra_per_kg\nzz,1,1,0\n")},
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "nothing was imported" in html and "zone &#x27;zz&#x27; is not a zone of regio" in html
    assert not RateBreak.objects.filter(card=card).exists()


def test_every_catalogue_write_moves_the_version_and_routing_follows(db):
    service = CarrierServiceFactory(carrier__code="regio", currency="EUR")
    CoverageFactory(service=service)
    ExchangeRate.objects.update_or_create(currency="EUR", defaults={"usd_per_unit": Decimal("1.00")})
    profile = ShipmentProfile("CN", "DE", "10115", (1200,), 300)
    before = catalogue_version()
    assert route_options(profile=profile).options[0].price == Decimal("14.00")

    ExchangeRate.objects.filter(currency="EUR").update(usd_per_unit=Decimal("1.50"))

    assert catalogue_version() > before
    assert route_options(profile=profile).options[0].price == Decimal("21.00")
    assert route_options(profile=replace(profile, declared_currency="EUR")).options[0].price == Decimal("14.00")


def test_a_zone_code_a_spreadsheet_would_run_is_quoted_on_export_and_read_back_on_import(card):
    ZoneFactory(carrier=card.service.carrier, code="-1", countries=["IT"])
    rate_card_import(card_id=card.pk, text="zone,up_to_g,price,extra_per_kg\n'-1,1000,4.00,0.00\n")

    exported = rate_card_csv(card_id=card.pk)

    assert exported == "zone,up_to_g,price,extra_per_kg\n'-1,1000,4.00,0.00\n"
    assert rate_card_import(card_id=card.pk, text=exported) == 1
