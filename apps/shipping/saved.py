"""Writes and reads of a merchant's saved sender addresses and product catalogue
(`apps.shipping.models`). A sender address is checked by the same rules as an order's
(`addresses.address_check`) and keeps its normalised form; one of them is the default the order
form starts with."""

from dataclasses import fields
from decimal import Decimal

from django.db import transaction
from django.db.models import QuerySet

from apps.orders.types import AddressDraft, ItemDraft
from apps.shipping.addresses import address_check
from apps.shipping.exceptions import InvalidOrder, SavedItemNotFound
from apps.shipping.models import Product, SenderAddress
from apps.shipping.validation import HS_CODE, is_country, is_currency

ADDRESS_NAMES = tuple(f.name for f in fields(AddressDraft) if f.name != "normalized")


def sender_address_list(*, merchant_id: int) -> QuerySet[SenderAddress]:
    return SenderAddress.objects.filter(merchant_id=merchant_id)


def sender_address_get(*, merchant_id: int, sender_id: int) -> SenderAddress:
    try:
        return SenderAddress.objects.get(merchant_id=merchant_id, pk=sender_id)
    except SenderAddress.DoesNotExist as exc:
        raise SavedItemNotFound("No such sender address.") from exc


def sender_address_draft(sender: SenderAddress) -> AddressDraft:
    return AddressDraft(**{name: getattr(sender, name) for name in ADDRESS_NAMES})


@transaction.atomic
def sender_address_save(
    *, merchant_id: int, address: AddressDraft, label: str, is_default: bool, sender_id: int | None = None
) -> SenderAddress:
    """Create (or, with `sender_id`, change) a saved sender address; `InvalidOrder` names each
    field the country's rules refuse. The first one saved, or one saved as default, is the default."""
    country = address.country.strip().upper()
    address = AddressDraft(**{**{n: getattr(address, n) for n in ADDRESS_NAMES}, "country": country})
    if country and not is_country(country):
        raise InvalidOrder(
            "The address has invalid fields.", extra={"fields": {"country": [f"{country!r} is not a country code."]}}
        )
    normalized, problems = address_check(address)
    if problems:
        raise InvalidOrder("The address has invalid fields.", extra={"fields": problems})
    saved = SenderAddress.objects.filter(merchant_id=merchant_id).select_for_update()
    sender = saved.get(pk=sender_id) if sender_id else SenderAddress(merchant_id=merchant_id)
    is_default = is_default or not saved.exclude(pk=sender.pk).filter(is_default=True).exists()
    if is_default:
        saved.exclude(pk=sender.pk).filter(is_default=True).update(is_default=False)
    for name in ADDRESS_NAMES:
        setattr(sender, name, getattr(address, name))
    sender.label, sender.is_default, sender.normalized = label or address.name, is_default, normalized
    sender.save()
    return sender


@transaction.atomic
def sender_address_delete(*, merchant_id: int, sender_id: int) -> None:
    sender = sender_address_get(merchant_id=merchant_id, sender_id=sender_id)
    sender.delete()
    if sender.is_default:  # the oldest one left takes over
        first = SenderAddress.objects.filter(merchant_id=merchant_id).order_by("id").first()
        if first:
            SenderAddress.objects.filter(pk=first.pk).update(is_default=True)


def product_list(*, merchant_id: int) -> QuerySet[Product]:
    return Product.objects.filter(merchant_id=merchant_id)


def product_get(*, merchant_id: int, product_id: int) -> Product:
    try:
        return Product.objects.get(merchant_id=merchant_id, pk=product_id)
    except Product.DoesNotExist as exc:
        raise SavedItemNotFound("No such product.") from exc


def product_item(product: Product, *, quantity: int = 1) -> ItemDraft:
    """A customs line of `quantity` units of the product."""
    return ItemDraft(
        description=product.description,
        quantity=quantity,
        unit_value=product.unit_value,
        currency=product.currency,
        hs_code=product.hs_code,
        origin_country=product.origin_country,
        sku=product.sku,
    )


def product_save(
    *,
    merchant_id: int,
    description: str,
    hs_code: str,
    origin_country: str,
    unit_value: Decimal,
    currency: str,
    sku: str = "",
    description_zh: str = "",
    weight_g: int | None = None,
    product_id: int | None = None,
) -> Product:
    """Create (or change) a product; `InvalidOrder` names each field customs would refuse."""
    origin_country, currency, sku = origin_country.strip().upper(), currency.strip().upper(), sku.strip()
    errors: dict[str, list[str]] = {}
    if not HS_CODE.fullmatch(hs_code):
        errors["hs_code"] = ["Customs needs an HS code of 6, 8 or 10 digits."]
    if not is_country(origin_country):
        errors["origin_country"] = [f"{origin_country!r} is not an ISO 3166 country code."]
    if not is_currency(currency):
        errors["currency"] = [f"{currency!r} is not an ISO 4217 currency code."]
    taken = Product.objects.filter(merchant_id=merchant_id, sku=sku).exclude(pk=product_id)
    if sku and taken.exists():
        errors["sku"] = [f"Another product has SKU {sku}."]
    if errors:
        raise InvalidOrder("The product has invalid fields.", extra={"fields": errors})
    product = product_get(merchant_id=merchant_id, product_id=product_id) if product_id else Product()
    values = {
        "merchant_id": merchant_id,
        "sku": sku,
        "description": description,
        "description_zh": description_zh,
        "hs_code": hs_code,
        "origin_country": origin_country,
        "unit_value": unit_value,
        "currency": currency,
        "weight_g": weight_g,
    }
    for name, value in values.items():
        setattr(product, name, value)
    product.save()
    return product


def product_delete(*, merchant_id: int, product_id: int) -> None:
    product_get(merchant_id=merchant_id, product_id=product_id).delete()
