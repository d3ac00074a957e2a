"""Writes and reads of a merchant's saved sender addresses and product catalogue
(`apps.shipping.models`). A sender address is checked by the same rules as an order's
(`addresses.address_check`) and keeps its normalised form; one of them is the default the order
form starts with. A change made by a person (`actor`) is a line of the team's audit log, naming
the fields it changed."""

from dataclasses import fields
from decimal import Decimal

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext

from apps.merchants.models import AuditEntry
from apps.merchants.team import audit_record
from apps.orders.types import AddressDraft, ItemDraft
from apps.shipping.addresses import address_check
from apps.shipping.exceptions import InvalidOrder, SavedItemNotFound
from apps.shipping.models import Product, SenderAddress
from apps.shipping.validation import (
    HS_CODE,
    HS_CODE_MESSAGE,
    is_country,
    is_currency,
    not_a_country,
    not_a_currency,
)

ADDRESS_NAMES = tuple(f.name for f in fields(AddressDraft) if f.name != "normalized")
PRODUCT_NAMES = (
    "sku",
    "description",
    "description_zh",
    "hs_code",
    "origin_country",
    "unit_value",
    "currency",
    "weight_g",
)
Action = AuditEntry.Action


def _audit(*, merchant_id: int, actor, action: str, subject: str, before: dict, after: dict) -> None:
    """The audit line of a change by a person (none for the platform's own, `actor` None); an
    edit names the fields it changed, and one that changed nothing leaves no line."""
    if actor is None:
        return
    changed = [name for name in after if before.get(name) != after[name]] if before else []
    if before and not changed:
        return
    audit_record(merchant_id=merchant_id, actor=actor, action=action, subject=subject, detail=", ".join(changed))


def sender_address_list(*, merchant_id: int) -> QuerySet[SenderAddress]:
    return SenderAddress.objects.filter(merchant_id=merchant_id)


def sender_address_get(*, merchant_id: int, sender_id: int) -> SenderAddress:
    try:
        return SenderAddress.objects.get(merchant_id=merchant_id, pk=sender_id)
    except SenderAddress.DoesNotExist as exc:
        raise SavedItemNotFound(gettext("No such sender address.")) from exc


def sender_address_draft(sender: SenderAddress) -> AddressDraft:
    return AddressDraft(**{name: getattr(sender, name) for name in ADDRESS_NAMES})


@transaction.atomic
def sender_address_save(
    *,
    merchant_id: int,
    address: AddressDraft,
    label: str,
    is_default: bool,
    sender_id: int | None = None,
    actor=None,
) -> SenderAddress:
    """Create (or, with `sender_id`, change) a saved sender address; `InvalidOrder` names each
    field the country's rules refuse, `SavedItemNotFound` a sender that is not the merchant's.
    The first one saved, or one saved as default, is the default."""
    country = address.country.strip().upper()
    address = AddressDraft(**{**{n: getattr(address, n) for n in ADDRESS_NAMES}, "country": country})
    if country and not is_country(country):
        raise InvalidOrder(
            gettext("The address has invalid fields."), extra={"fields": {"country": [not_a_country(country)]}}
        )
    normalized, problems = address_check(address)
    if problems:
        raise InvalidOrder(gettext("The address has invalid fields."), extra={"fields": problems})
    saved = SenderAddress.objects.filter(merchant_id=merchant_id).select_for_update()
    sender = saved.filter(pk=sender_id).first() if sender_id else SenderAddress(merchant_id=merchant_id)
    if sender is None:
        raise SavedItemNotFound(gettext("No such sender address."))
    before = _sender_values(sender) if sender_id else {}
    is_default = is_default or not saved.exclude(pk=sender.pk).filter(is_default=True).exists()
    if is_default:
        saved.exclude(pk=sender.pk).filter(is_default=True).update(is_default=False)
    for name in ADDRESS_NAMES:
        setattr(sender, name, getattr(address, name))
    sender.label, sender.is_default, sender.normalized = label or address.name, is_default, normalized
    sender.save()
    _audit(
        merchant_id=merchant_id,
        actor=actor,
        action=Action.SENDER_CHANGED if sender_id else Action.SENDER_ADDED,
        subject=sender.label,
        before=before,
        after=_sender_values(sender),
    )
    return sender


def _sender_values(sender: SenderAddress) -> dict:
    return {
        "label": sender.label,
        **{name: getattr(sender, name) for name in ADDRESS_NAMES},
        "is_default": sender.is_default,
    }


@transaction.atomic
def sender_address_delete(*, merchant_id: int, sender_id: int, actor=None) -> None:
    sender = sender_address_get(merchant_id=merchant_id, sender_id=sender_id)
    sender.delete()
    _audit(
        merchant_id=merchant_id, actor=actor, action=Action.SENDER_DELETED, subject=sender.label, before={}, after={}
    )
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
        raise SavedItemNotFound(gettext("No such product.")) from exc


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


@transaction.atomic
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
    actor=None,
) -> Product:
    """Create (or change) a product; `InvalidOrder` names each field customs would refuse,
    `SavedItemNotFound` a product that is not the merchant's."""
    origin_country, currency, sku = origin_country.strip().upper(), currency.strip().upper(), sku.strip()
    errors: dict[str, list[str]] = {}
    if not HS_CODE.fullmatch(hs_code):
        errors["hs_code"] = [gettext(HS_CODE_MESSAGE)]
    if not is_country(origin_country):
        errors["origin_country"] = [not_a_country(origin_country)]
    if not is_currency(currency):
        errors["currency"] = [not_a_currency(currency)]
    taken = Product.objects.filter(merchant_id=merchant_id, sku=sku).exclude(pk=product_id)
    if sku and taken.exists():
        errors["sku"] = [gettext("Another product has SKU %(sku)s.") % {"sku": sku}]
    if errors:
        raise InvalidOrder(gettext("The product has invalid fields."), extra={"fields": errors})
    product = product_get(merchant_id=merchant_id, product_id=product_id) if product_id else Product()
    before = {name: getattr(product, name) for name in PRODUCT_NAMES} if product_id else {}
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
    _audit(
        merchant_id=merchant_id,
        actor=actor,
        action=Action.PRODUCT_CHANGED if product_id else Action.PRODUCT_ADDED,
        subject=product.sku or product.description,
        before=before,
        after={name: getattr(product, name) for name in PRODUCT_NAMES},
    )
    return product


@transaction.atomic
def product_delete(*, merchant_id: int, product_id: int, actor=None) -> None:
    product = product_get(merchant_id=merchant_id, product_id=product_id)
    product.delete()
    subject = product.sku or product.description
    _audit(merchant_id=merchant_id, actor=actor, action=Action.PRODUCT_DELETED, subject=subject, before={}, after={})
