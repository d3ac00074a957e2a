"""What a cross-border shipment must satisfy before any carrier sees it."""

import re
from collections import defaultdict
from dataclasses import replace
from decimal import Decimal

import pycountry
from django.utils.translation import gettext, gettext_noop

from apps.orders.types import AddressDraft, OrderDraft
from apps.shipping import limits
from apps.shipping.addresses import address_check
from apps.shipping.exceptions import InvalidOrder

SERVICE_LEVELS = ("express", "standard", "economy")
HS_CODE = re.compile(r"^\d{6}(\d{2}){0,2}$")
PHONE = re.compile(r"^\+?[0-9 ()-]{6,20}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# E.164 numbers have at most 15 digits; fewer than 6 is no reachable number.
PHONE_DIGITS = (6, 15)


def is_country(code: str) -> bool:
    return len(code) == 2 and pycountry.countries.get(alpha_2=code.upper()) is not None


# ISO 4217 codes that are not money a value can be declared in: "no currency" (XXX), testing
# (XTS), precious metals, and units of account.
NOT_MONEY = frozenset(
    {"XXX", "XTS", "XAU", "XAG", "XPD", "XPT", "XBA", "XBB", "XBC", "XBD", "XDR", "XSU", "XUA", "XAD"}
)


def is_currency(code: str) -> bool:
    code = code.upper()
    return len(code) == 3 and code not in NOT_MONEY and pycountry.currencies.get(alpha_3=code) is not None


# Marked here, translated where it is used (in the request, so the API's is English).
HS_CODE_MESSAGE = gettext_noop("Customs needs an HS code of 6, 8 or 10 digits.")


def not_a_country(value: str) -> str:
    return gettext("%(value)r is not an ISO 3166 country code.") % {"value": value}


def not_a_currency(value: str) -> str:
    return gettext("%(value)r is not an ISO 4217 currency code.") % {"value": value}


def _check_address(errors: dict, path: str, address: AddressDraft) -> AddressDraft:
    """Record the address's problems under `path`; return it with its normalised form."""
    if address.country and not is_country(address.country):
        errors[f"{path}.country"].append(not_a_country(address.country))
        for name in ("name", "line1", "city"):
            if not getattr(address, name).strip():
                errors[f"{path}.{name}"].append(gettext("This field is required."))
        normalized = {}
    else:
        normalized, problems = address_check(address)
        for name, messages in problems.items():
            errors[f"{path}.{name}"].extend(messages)
    digits = sum(ch.isdigit() for ch in address.phone)
    if address.phone and not (PHONE.fullmatch(address.phone) and PHONE_DIGITS[0] <= digits <= PHONE_DIGITS[1]):
        errors[f"{path}.phone"].append(gettext("Enter a phone number of digits, optionally starting with +."))
    if address.email and not EMAIL.fullmatch(address.email):
        errors[f"{path}.email"].append(gettext("Enter a valid email address."))
    return replace(address, normalized=normalized)


def validate_draft(draft: OrderDraft) -> OrderDraft:
    """Raise InvalidOrder with every problem found, each under its field path; else return the
    draft with each address's normalised form (`addresses.address_check`) beside what was typed."""
    errors: dict[str, list[str]] = defaultdict(list)
    if draft.service_level not in SERVICE_LEVELS:
        errors["service_level"].append(gettext("Choose one of %(choices)s.") % {"choices": ", ".join(SERVICE_LEVELS)})
    sender = _check_address(errors, "sender", draft.sender)
    recipient = _check_address(errors, "recipient", draft.recipient)
    if not draft.parcels:
        errors["parcels"].append(gettext("An order needs at least one parcel."))
    if len(draft.parcels) > limits.PARCELS_PER_ORDER_MAX:
        errors["parcels"].append(
            gettext("An order has at most %(most)s parcels; split it into several orders.")
            % {"most": limits.PARCELS_PER_ORDER_MAX}
        )
    # One customs declaration covers the order: its total is only meaningful in one currency.
    declared_in = next((i.currency for p in draft.parcels for i in p.items if is_currency(i.currency)), "")
    for p, parcel in enumerate(draft.parcels):
        path = f"parcels[{p}]"
        for name in ("weight_g", "length_mm", "width_mm", "height_mm"):
            if getattr(parcel, name) <= 0:
                errors[f"{path}.{name}"].append(gettext("Must be greater than zero."))
        if draft.is_cross_border and not parcel.items:
            errors[f"{path}.items"].append(gettext("A cross-border parcel needs its items listed for customs."))
        if len(parcel.items) > limits.ITEMS_PER_PARCEL_MAX:
            errors[f"{path}.items"].append(
                gettext("A parcel lists at most %(most)s items.") % {"most": limits.ITEMS_PER_PARCEL_MAX}
            )
        for i, item in enumerate(parcel.items):
            item_path = f"{path}.items[{i}]"
            if not item.description.strip():
                errors[f"{item_path}.description"].append(gettext("This field is required."))
            if item.quantity <= 0:
                errors[f"{item_path}.quantity"].append(gettext("Must be at least 1."))
            elif item.quantity > limits.QUANTITY_MAX:
                errors[f"{item_path}.quantity"].append(
                    gettext("Must be at most %(most)s.") % {"most": limits.QUANTITY_MAX}
                )
            if item.unit_value <= 0:
                errors[f"{item_path}.unit_value"].append(gettext("Must be greater than zero."))
            if not is_currency(item.currency):
                errors[f"{item_path}.currency"].append(not_a_currency(item.currency))
            elif draft.is_cross_border and item.currency != declared_in:
                errors[f"{item_path}.currency"].append(
                    gettext(
                        "Declare every item of a cross-border order in one currency (%(currency)s, as the first item)."
                    )
                    % {"currency": declared_in}
                )
            if draft.is_cross_border and not HS_CODE.fullmatch(item.hs_code):
                errors[f"{item_path}.hs_code"].append(gettext(HS_CODE_MESSAGE))
            if not is_country(item.origin_country):
                errors[f"{item_path}.origin_country"].append(not_a_country(item.origin_country))
    declared = sum((i.quantity * i.unit_value for p in draft.parcels for i in p.items), Decimal(0))
    if declared > limits.DECLARED_VALUE_PER_ORDER_MAX:
        errors["parcels"].append(
            gettext("The order declares %(declared)s %(currency)s in all; one order declares at most %(most)s.")
            % {"declared": f"{declared:.2f}", "currency": declared_in, "most": limits.DECLARED_VALUE_PER_ORDER_MAX}
        )
    if errors:
        raise InvalidOrder(gettext("The order has invalid fields."), extra={"fields": dict(errors)})
    return replace(draft, sender=sender, recipient=recipient)
