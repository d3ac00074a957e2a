"""The demo catalogue routes: a rate card in EUR quoted in USD, surcharges, limits, preferences."""

from decimal import Decimal

import pytest
from django.core.management import call_command

from apps.merchants.models import Merchant
from apps.orders.tests.factories import address_draft, item_draft, order_draft, parcel_draft
from apps.resources.models import ExchangeRate
from apps.shipping.selectors import order_quote


@pytest.fixture
def demo(db):
    ExchangeRate.objects.update_or_create(currency="EUR", defaults={"usd_per_unit": Decimal("1.08")})
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115 - safe to run twice
    return Merchant.objects.get(slug="shenzhen-gadgets")


def test_the_demo_merchant_gets_euro_post_first_priced_by_its_eur_rate_card_in_usd(demo):
    quote = order_quote(draft=order_draft(), merchant_id=demo.pk)

    first = quote.options[0]
    assert quote.strategy == "preferred"
    # 1.2 kg to DE 10115: zone-1, up to 2000 g, 8.90 EUR = 9.61 USD; Berlin Bike's 9.10 USD comes next.
    assert (first.carrier_code, first.price, first.currency) == ("euro-post", Decimal("9.61"), "USD")
    assert (first.original_price, first.original_currency) == (Decimal("8.90"), "EUR")
    assert first.breakdown["zone"] == "zone-1"
    assert [o.carrier_code for o in quote.options[1:]] == ["berlin-bike", "swift-express"]


def test_the_demo_catalogue_applies_surcharges_and_content_limits(demo):
    corsica = order_draft(recipient=address_draft(country="FR", postal_code="20000"), service_level="express")
    power_bank = order_draft(parcels=(parcel_draft(items=(item_draft(hs_code="850760"),)),))

    (swift,) = order_quote(draft=corsica).options
    reasons = {(e.carrier_code, e.service_code): e.reason for e in order_quote(draft=power_bank).exclusions}

    assert swift.breakdown["remote_area"] == "4.00" and swift.breakdown["fuel"] == "3.88"  # 12.5% of 31.00
    assert reasons[("berlin-bike", "standard")] == "does not accept batteries"


def test_the_demo_merchant_has_a_default_sender_and_a_product_catalogue_for_the_order_form(demo):
    from apps.shipping.saved import product_list, sender_address_list

    senders = list(sender_address_list(merchant_id=demo.pk))
    products = {p.sku: p for p in product_list(merchant_id=demo.pk)}

    assert [(s.label, s.is_default, s.normalized["state"]) for s in senders] == [("Shenzhen office", True, "广东省")]
    assert len(products) == 5  # once, however often the demo is seeded
    assert (products["SZG-EARBUDS"].description_zh, products["SZG-EARBUDS"].hs_code) == ("无线耳机", "851830")
