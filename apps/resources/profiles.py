"""How an order becomes a ShipmentProfile: the one place that derives declared value and content
categories from items, for every caller of routing (shipping's quote and its re-route)."""

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from apps.resources.types import ParcelDims, ShipmentProfile

# HS code prefixes (chapter, heading or subheading) of the content categories services may refuse.
HS_CONTENTS: dict[str, str] = {
    "8506": "batteries",  # primary cells, lithium included
    "8507": "batteries",  # accumulators, lithium-ion included
    "8505": "magnets",
    "22": "liquids",  # beverages, spirits, vinegar
    "3303": "liquids",  # perfumes and toilet waters
    "2009": "liquids",  # fruit juices
    "93": "prohibited",  # arms and ammunition
    "36": "prohibited",  # explosives, fireworks, matches
    **{f"{chapter:02d}": "food" for chapter in range(1, 22) if chapter != 6},  # chapters 1-21 but plants
}
# Words in an item's description that flag a category whatever its HS code says.
WORDS: dict[str, str] = {
    "battery": "batteries",
    "batteries": "batteries",
    "lithium": "batteries",
    "power bank": "batteries",
    "liquid": "liquids",
    "perfume": "liquids",
    "aerosol": "aerosols",
    "spray": "aerosols",
    "magnet": "magnets",
}


def contents_of(*, hs_code: str, description: str) -> set[str]:
    found = set()
    digits = hs_code.replace(".", "").strip()
    for length in (2, 4, 6):
        category = HS_CONTENTS.get(digits[:length])
        if category:
            found.add(category)
    text = description.lower()
    found.update(category for word, category in WORDS.items() if word in text)
    return found


def profile_build(
    *,
    origin_country: str,
    destination_country: str,
    destination_postcode: str,
    service_level: str,
    parcels: Sequence[tuple[Any, Iterable[Any]]],
    usd_per_unit: dict[str, Decimal] | None = None,
) -> ShipmentProfile:
    """A profile from parcels (weight_g, length_mm, width_mm, height_mm) each with its items
    (description, sku, quantity, unit_value, currency, hs_code): drafts and order rows alike.

    The declared value is the items' unit_value x quantity in their currency; items in several
    currencies are summed in USD at `usd_per_unit` (an item in a currency without a rate counts 0).
    """
    items = [i for _, its in parcels for i in its]
    currencies = {i.currency.upper() for i in items}
    if len(currencies) <= 1:
        currency = currencies.pop() if currencies else "USD"
        value = sum((i.unit_value * i.quantity for i in items), Decimal("0"))
    else:
        rates = usd_per_unit or {}
        currency = "USD"
        value = sum(
            (i.unit_value * i.quantity * rates.get(i.currency.upper(), Decimal("0")) for i in items), Decimal("0")
        )
    contents: set[str] = set()
    skus: dict[str, int] = {}
    for i in items:
        contents |= contents_of(hs_code=i.hs_code, description=i.description)
        if i.sku:
            skus[i.sku] = skus.get(i.sku, 0) + i.quantity
    return ShipmentProfile(
        origin_country=origin_country.upper(),
        destination_country=destination_country.upper(),
        destination_postcode=destination_postcode,
        parcel_weights_g=tuple(p.weight_g for p, _ in parcels),
        longest_side_mm=max((max(p.length_mm, p.width_mm, p.height_mm) for p, _ in parcels), default=0),
        service_level=service_level,
        parcel_dims=tuple(ParcelDims(p.length_mm, p.width_mm, p.height_mm) for p, _ in parcels),
        declared_value=value,
        declared_currency=currency,
        contents=frozenset(contents),
        # Every item needs a SKU for a warehouse to pick the order.
        skus=tuple(sorted(skus.items())) if all(i.sku for i in items) else (),
    )
