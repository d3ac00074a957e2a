"""A fast path for reading a well-formed order; `OrderInput` stays the one judge of bad ones.

DRF builds and deep-copies every nested field of `OrderInput` for each request (about 0.7 ms
per order, a tenth of intake's CPU). Most orders an ERP sends are well-formed, so `read_order`
checks the same rules directly and returns the same draft; on anything it does not accept
outright (a missing field, a number sent as a string, a value out of range...) it returns None
and the caller validates with `OrderInput`, which produces the errors. So the fast path may
refuse more than `OrderInput` (it falls back), but never accepts what `OrderInput` refuses,
and builds the same draft: test_fast_input.py checks both with generated payloads, and
test_order_shape.py that it reads every field of the OpenAPI schema, within its limits, and no other.
"""

import re
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from apps.common.text import has_control_characters
from apps.orders.types import AddressDraft, ItemDraft, OrderDraft, ParcelDraft
from apps.resources.types import STRATEGIES
from apps.shipping import limits

SERVICE_LEVELS = frozenset({"express", "standard", "economy"})
# "carrier_code/service_code", as POST /api/v1/rates/ answers them.
CARRIER_SERVICE = re.compile(r"[\w.-]{1,50}/[\w.-]{1,50}")
_CENT = Decimal("0.01")
WAREHOUSE_MAX_LENGTH = 50  # a warehouse's code (resources.Warehouse.code)
_SURROGATES = re.compile("[\ud800-\udfff]")

# name: (required, max_length, min_length), as OrderInput's fields take them from the same limits.
_ADDRESS_REQUIRED = frozenset({"name", "line1", "city", "postal_code", "country"})
_ITEM_OPTIONAL = frozenset({"sku", "hs_code"})
_EXACT_LENGTH = frozenset({"country", "currency", "origin_country"})
_ADDRESS = {
    name: (name in _ADDRESS_REQUIRED, max_length, max_length if name in _EXACT_LENGTH else 0)
    for name, max_length in limits.ADDRESS_MAX_LENGTH.items()
}
_ITEM_TEXT = {
    name: (name not in _ITEM_OPTIONAL, max_length, max_length if name in _EXACT_LENGTH else 0)
    for name, max_length in limits.ITEM_MAX_LENGTH.items()
}
_DIMENSIONS = limits.PARCEL_MAX
_MONEY = re.compile(
    rf"\d{{1,{limits.UNIT_VALUE_MAX_DIGITS - limits.UNIT_VALUE_DECIMAL_PLACES}}}"
    rf"(\.\d{{1,{limits.UNIT_VALUE_DECIMAL_PLACES}}})?"
)


@dataclass(frozen=True)
class OrderRequest:
    """What a create-order body asks for: the order, and optionally the route the merchant chose
    from a quote (carrier code, service code), the strategy the platform should rank by, and the
    warehouse to ship it from."""

    draft: OrderDraft
    chosen_route: tuple[str, str] | None = None
    strategy: str | None = None
    warehouse: str | None = None  # ship from stock there, or anywhere ("any"); None: direct


def chosen_route(value: str) -> tuple[str, str] | None:
    """("carrier", "service") of a `carrier_service` value; None for "" (the platform chooses)."""
    if not value:
        return None
    carrier, service = value.split("/", 1)
    return carrier, service


class _Fallback(Exception):
    """Not accepted outright: let OrderInput judge."""


def _text(data: dict, name: str, required: bool, max_length: int, min_length: int) -> str:
    if name not in data:
        if required:
            raise _Fallback
        return ""
    value = data[name]
    if type(value) is not str:
        raise _Fallback
    value = value.strip()
    if not value:
        if required:
            raise _Fallback
        return ""
    if len(value) > max_length or len(value) < min_length or has_control_characters(value):
        raise _Fallback
    if not value.isascii() and _SURROGATES.search(value):
        raise _Fallback
    return value


def _whole(data: dict, name: str, maximum: int) -> int:
    value = data.get(name)
    if type(value) is not int or not 1 <= value <= maximum:
        raise _Fallback
    return value


def _address(data) -> AddressDraft:
    if type(data) is not dict:
        raise _Fallback
    values = {name: _text(data, name, *rule) for name, rule in _ADDRESS.items()}
    if values["email"]:
        try:
            validate_email(values["email"])
        except ValidationError as exc:
            raise _Fallback from exc
    values["country"] = values["country"].upper()
    values["postal_code"] = values["postal_code"].upper()
    return AddressDraft(**values)


def _item(data) -> ItemDraft:
    if type(data) is not dict:
        raise _Fallback
    values = {name: _text(data, name, *rule) for name, rule in _ITEM_TEXT.items()}
    quantity = data.get("quantity")
    if type(quantity) is not int or not 1 <= quantity <= limits.QUANTITY_MAX:
        raise _Fallback
    unit_value = data.get("unit_value")
    if type(unit_value) is not str or not _MONEY.fullmatch(unit_value):
        raise _Fallback
    amount = Decimal(unit_value).quantize(_CENT)
    if amount < _CENT:
        raise _Fallback
    return ItemDraft(
        description=values["description"],
        sku=values["sku"],
        quantity=quantity,
        unit_value=amount,
        currency=values["currency"].upper(),
        hs_code=values["hs_code"],
        origin_country=values["origin_country"].upper(),
    )


def _parcel(data) -> ParcelDraft:
    if type(data) is not dict:
        raise _Fallback
    dimensions = {name: _whole(data, name, maximum) for name, maximum in _DIMENSIONS.items()}
    items = data.get("items", [])
    if type(items) is not list or len(items) > limits.ITEMS_PER_PARCEL_MAX:
        raise _Fallback
    return ParcelDraft(**dimensions, items=tuple(_item(i) for i in items))


def read_order(data) -> OrderRequest | None:
    """The request of a well-formed order, exactly as `OrderInput(data=data).to_request()` would
    make it; None when the payload needs `OrderInput`'s judgement."""
    try:
        if type(data) is not dict:
            raise _Fallback
        reference = _text(data, "reference", False, limits.REFERENCE_MAX_LENGTH, 0)
        service_level = data.get("service_level", "standard")
        if type(service_level) is not str or service_level not in SERVICE_LEVELS:
            raise _Fallback
        parcels = data.get("parcels")
        if type(parcels) is not list or not 1 <= len(parcels) <= limits.PARCELS_PER_ORDER_MAX:
            raise _Fallback
        carrier_service = _text(data, "carrier_service", False, 101, 0)
        if carrier_service and not CARRIER_SERVICE.fullmatch(carrier_service):
            raise _Fallback
        strategy = data.get("strategy")
        if "strategy" in data and (type(strategy) is not str or strategy not in STRATEGIES):
            raise _Fallback
        warehouse = _text(data, "warehouse", False, WAREHOUSE_MAX_LENGTH, 0)
        draft = OrderDraft(
            reference=reference,
            service_level=service_level,
            sender=_address(data.get("sender")),
            recipient=_address(data.get("recipient")),
            parcels=tuple(_parcel(p) for p in parcels),
        )
        return OrderRequest(
            draft=draft, chosen_route=chosen_route(carrier_service), strategy=strategy, warehouse=warehouse or None
        )
    except _Fallback:
        return None
