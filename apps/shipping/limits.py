"""The limits of an order's fields, in one place for every channel: the portal's forms, the ERP
API's serializers and its fast input path read them from here, so none of them can accept what
the database cannot hold or what another channel refuses. Text lengths and money digits come
from the order center's columns; numeric ranges are ours (the columns hold more)."""

from decimal import Decimal

from apps.orders.models import Item, Order

ADDRESS_FIELDS = ("name", "company", "line1", "line2", "city", "state", "postal_code", "country", "phone", "email")
ADDRESS_MAX_LENGTH = {name: Order._meta.get_field(f"recipient_{name}").max_length for name in ADDRESS_FIELDS}
REFERENCE_MAX_LENGTH = Order._meta.get_field("reference").max_length
ITEM_TEXT_FIELDS = ("description", "sku", "currency", "hs_code", "origin_country")
ITEM_MAX_LENGTH = {name: Item._meta.get_field(name).max_length for name in ITEM_TEXT_FIELDS}
UNIT_VALUE_MAX_DIGITS = Item._meta.get_field("unit_value").max_digits
UNIT_VALUE_DECIMAL_PLACES = Item._meta.get_field("unit_value").decimal_places

# What a carrier would take in one order (the API serializers, its fast path, the portal's forms
# and, for every channel, `validation.validate_draft`). The value cap is in the order's one
# currency: high enough for a valuable parcel declared in a currency of small units (IDR, KRW),
# and far below what overflows totals.
QUANTITY_MAX = 10_000
ITEMS_PER_PARCEL_MAX = 100
DECLARED_VALUE_PER_ORDER_MAX = Decimal("100000000")
WEIGHT_G_MAX = 1_000_000  # one tonne
DIMENSION_MM_MAX = 10_000  # ten metres
PARCEL_MAX = {
    "weight_g": WEIGHT_G_MAX,
    "length_mm": DIMENSION_MM_MAX,
    "width_mm": DIMENSION_MM_MAX,
    "height_mm": DIMENSION_MM_MAX,
}
PARCELS_PER_ORDER_MAX = 50
