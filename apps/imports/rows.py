"""From a read table and a mapping to planned orders: each row's values checked (length, damage
a spreadsheet did, numbers, countries), rows with one order reference grouped into one order,
and each order's draft for the shipping center. No ORM; `services` adds what needs the database.

Order-level fields (reference, recipient, weight, service level) come from an order's first
row; its later rows may leave them empty, and a later row that says otherwise is an error (two
orders merged by mistake). Every row is one item line."""

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache

import pycountry
from django.utils.translation import gettext as _

from apps.common.text import has_control_characters
from apps.imports.headings import FIELDS, REQUIRED, WEIGHT_GRAMS, weight_unit_of
from apps.imports.reading import Table
from apps.orders.types import AddressDraft, ItemDraft, OrderDraft, ParcelDraft
from apps.shipping import limits

SENDER_FIELDS = limits.ADDRESS_FIELDS
# What a file usually does not say, set once in the import settings.
DEFAULTS = {
    **{f"sender_{name}": "" for name in SENDER_FIELDS},
    "sender_country": "CN",
    "currency": "USD",
    "origin_country": "CN",
    "hs_code": "",
    "service_level": "standard",
    "weight_unit": "kg",
    "weight_g": 500,
    "length_mm": 200,
    "width_mm": 150,
    "height_mm": 100,
}
ORDER_FIELDS = ("reference", "weight", "service_level", *(f for f in FIELDS if f.startswith("recipient_")))
# A long number a spreadsheet showed (and saved) in scientific notation: 1.23457E+11.
SCIENTIFIC = re.compile(r"^[+-]?\d+(?:[.,]\d+)?[eE][+-]?\d+$")
NUMBERS_AS_TEXT = ("reference", "recipient_phone", "recipient_postal_code", "item_sku", "item_hs_code")
# Digits of the postcodes of countries where they may start with 0 (a spreadsheet drops it).
ZERO_LED_POSTCODES = {
    "US": 5,
    "DE": 5,
    "FR": 5,
    "ES": 5,
    "IT": 5,
    "MX": 5,
    "KR": 5,
    "FI": 5,
    "MY": 5,
    "PR": 5,
    "TH": 5,
    "AU": 4,
    "NO": 4,
    "DK": 4,
    "NZ": 4,
}
# Country names a Chinese spreadsheet writes for the usual destinations.
CHINESE_COUNTRIES = {
    "美国": "US",
    "英国": "GB",
    "德国": "DE",
    "法国": "FR",
    "意大利": "IT",
    "西班牙": "ES",
    "荷兰": "NL",
    "比利时": "BE",
    "奥地利": "AT",
    "瑞士": "CH",
    "瑞典": "SE",
    "挪威": "NO",
    "丹麦": "DK",
    "芬兰": "FI",
    "波兰": "PL",
    "捷克": "CZ",
    "葡萄牙": "PT",
    "爱尔兰": "IE",
    "希腊": "GR",
    "匈牙利": "HU",
    "罗马尼亚": "RO",
    "加拿大": "CA",
    "墨西哥": "MX",
    "巴西": "BR",
    "澳大利亚": "AU",
    "澳洲": "AU",
    "新西兰": "NZ",
    "日本": "JP",
    "韩国": "KR",
    "中国": "CN",
    "香港": "HK",
    "中国香港": "HK",
    "台湾": "TW",
    "新加坡": "SG",
    "马来西亚": "MY",
    "泰国": "TH",
    "越南": "VN",
    "菲律宾": "PH",
    "印度尼西亚": "ID",
    "印度": "IN",
    "俄罗斯": "RU",
    "以色列": "IL",
    "沙特阿拉伯": "SA",
    "阿联酋": "AE",
    "土耳其": "TR",
    "南非": "ZA",
    "智利": "CL",
}
SERVICE_LEVELS = {
    "standard": "standard",
    "express": "express",
    "economy": "economy",
    "priority": "express",
    "标准": "standard",
    "快递": "express",
    "特快": "express",
    "经济": "economy",
    "平邮": "economy",
}
MONEY_NOISE = re.compile(r"[\s$€£¥￥,]|US|USD|EUR|GBP|CNY|RMB", re.IGNORECASE)
DECIMAL_COMMA = re.compile(r"\d,\d{1,2}\D*$")
WEIGHT_UNIT = re.compile(r"[a-zA-Z克千公斤\s]+$")
HS_NOISE = re.compile(r"[.\s]")
ITEM_PATH = re.compile(r"parcels\[0\]\.items\[(\d+)\]\.(\w+)")


@dataclass(frozen=True)
class Problem:
    row: int
    field: str  # one of FIELDS, "" for the row, or "settings.<name>" for the import settings
    message: str


@dataclass
class PlannedOrder:
    key: str  # the order reference, or "row:<first row>" in a file without references
    reference: str
    rows: list[int]
    draft: OrderDraft | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def first_row(self) -> int:
        return self.rows[0]


@lru_cache(maxsize=4096)
def country_code(value: str) -> str | None:
    value = value.strip()
    if not value:
        return None
    if value in CHINESE_COUNTRIES:
        return CHINESE_COUNTRIES[value]
    if len(value) == 2 and value.isascii():
        return value.upper() if pycountry.countries.get(alpha_2=value.upper()) else None
    try:
        return pycountry.countries.lookup(value).alpha_2
    except LookupError:
        return {"usa": "US", "uk": "GB", "england": "GB", "great britain": "GB"}.get(value.casefold())


def _max_length(name: str) -> int:
    if name.startswith("recipient_"):
        return limits.ADDRESS_MAX_LENGTH[name.removeprefix("recipient_")]
    if name.startswith("item_") and name.removeprefix("item_") in limits.ITEM_MAX_LENGTH:
        return limits.ITEM_MAX_LENGTH[name.removeprefix("item_")]
    if name == "reference":
        return limits.REFERENCE_MAX_LENGTH
    return 100  # numbers, weights, service levels: anything longer is no value


MAX_LENGTHS = {name: _max_length(name) for name in FIELDS}  # looked up for every cell


def plan_orders(table: Table, mapping: dict[str, str], defaults: dict) -> list[PlannedOrder]:
    """The file's orders in file order, each with its draft or its problems."""
    settings = {**DEFAULTS, **defaults}
    index = {h: i for i, h in reversed(list(enumerate(table.headings)))}
    columns = {name: index[heading] for name, heading in mapping.items() if heading in index and name in FIELDS}
    unit = weight_unit_of(mapping.get("weight", "")) or settings["weight_unit"]
    orders: dict[str, PlannedOrder] = {}
    values_of: dict[str, dict] = {}
    settings_problems = _settings_problems(settings)
    for number, cells in table.rows:
        raw = {name: cells[i] if i < len(cells) else "" for name, i in columns.items()}
        values, problems = _row_values(number, raw, unit)
        key = values["reference"] or f"row:{number}"
        order = orders.get(key)
        if order is None:
            order = orders[key] = PlannedOrder(key=key, reference=values["reference"], rows=[number])
            values_of[key] = {"order": values, "items": [values]}
            for name in REQUIRED:
                if not values[name] and not any(p.field == name for p in problems):
                    problems.append(Problem(number, name, _("This field is required.")))
            problems += [Problem(number, f, m) for f, m in settings_problems]
        else:
            order.rows.append(number)
            values_of[key]["items"].append(values)
            first = values_of[key]["order"]
            for name in ORDER_FIELDS:
                if values[name] and first[name] and values[name] != first[name]:
                    problems.append(
                        Problem(
                            number,
                            name,
                            _("Row %(row)s of order %(reference)s says %(value)s here.")
                            % {"row": order.first_row, "reference": order.reference, "value": first[name]},
                        )
                    )
        if not values["item_description"] and "item_description" not in {p.field for p in problems}:
            problems.append(Problem(number, "item_description", _("Describe the item for customs.")))
        order.problems += problems
    for key, order in orders.items():
        if not order.problems:
            order.draft = _draft(values_of[key], settings)
    return list(orders.values())


def _settings_problems(settings: dict) -> list[tuple[str, str]]:
    problems = []
    for name in ("name", "line1", "city", "postal_code", "country"):
        if not str(settings.get(f"sender_{name}", "")).strip():
            problems.append((f"settings.sender_{name}", _("Set the sender's address in the import settings.")))
            break
    return problems


def _row_values(number: int, raw: dict[str, str], unit: str) -> tuple[dict, list[Problem]]:
    problems: list[Problem] = []
    values: dict = {name: "" for name in FIELDS}
    for name, value in raw.items():
        value = value.strip()
        if not value:
            continue
        if has_control_characters(value):
            problems.append(
                Problem(number, name, _("Control characters (such as tabs or line breaks) are not allowed."))
            )
            continue
        if name in NUMBERS_AS_TEXT and SCIENTIFIC.fullmatch(value):
            problems.append(
                Problem(
                    number,
                    name,
                    _(
                        "%(value)s is a long number a spreadsheet turned into scientific notation and cut; "
                        "format the column as text and export the file again."
                    )
                    % {"value": value},
                )
            )
            continue
        if len(value) > MAX_LENGTHS[name] and name not in ("recipient_country", "item_origin_country"):
            problems.append(
                Problem(
                    number,
                    name,
                    _("At most %(limit)s characters (it has %(n)s).") % {"limit": MAX_LENGTHS[name], "n": len(value)},
                )
            )
            continue
        values[name] = value
    for name in ("recipient_country", "item_origin_country"):
        if values[name]:
            code = country_code(values[name])
            if code is None:
                problems.append(
                    Problem(number, name, _("%(value)s is not a country we know.") % {"value": values[name]})
                )
                values[name] = ""
            else:
                values[name] = code
    postcode, country = values["recipient_postal_code"], values["recipient_country"]
    digits = ZERO_LED_POSTCODES.get(country)
    if digits and postcode.isdigit() and len(postcode) < digits:
        problems.append(
            Problem(
                number,
                "recipient_postal_code",
                _(
                    "%(value)s has lost its leading zeros (%(country)s postcodes have %(digits)s digits, "
                    "e.g. %(fixed)s); format the column as text and export the file again."
                )
                % {"value": postcode, "country": country, "digits": digits, "fixed": postcode.zfill(digits)},
            )
        )
    if values["recipient_phone"] and values["recipient_phone"].endswith(".0"):
        problems.append(
            Problem(number, "recipient_phone", _("The phone number was saved as a number; format the column as text."))
        )
    values["quantity"] = _whole(
        number, values["item_quantity"], "item_quantity", problems, default=1, most=limits.QUANTITY_MAX
    )
    values["unit_value"] = _money(number, values["item_unit_value"], problems)
    values["weight_g"] = _weight(number, values["weight"], unit, problems)
    if values["service_level"]:
        level = SERVICE_LEVELS.get(values["service_level"].casefold())
        if level is None:
            problems.append(Problem(number, "service_level", _("Choose one of standard, express, economy.")))
        values["service_level"] = level or ""
    return values, problems


def _whole(number: int, value: str, name: str, problems: list, *, default: int, most: int) -> int:
    if not value:
        return default
    try:
        amount = Decimal(value.replace(",", ""))
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or amount != amount.to_integral_value():
        problems.append(Problem(number, name, _("Enter a whole number.")))
        return default
    if not 1 <= amount <= most:
        problems.append(Problem(number, name, _("Enter a number from 1 to %(most)s.") % {"most": f"{most:,}"}))
        return default
    return int(amount)


def _money(number: int, value: str, problems: list) -> Decimal:
    if not value:
        problems.append(Problem(number, "item_unit_value", _("Declare the item's value for customs.")))
        return Decimal(0)
    if DECIMAL_COMMA.search(value) and value.rfind(",") > value.rfind("."):
        # a decimal comma: 5,50 or 1.234,50 € (not 1,234 nor 1,234.50)
        value = value.replace(".", "").replace(",", ".")
    try:
        amount = Decimal(MONEY_NOISE.sub("", value))
    except InvalidOperation:
        amount = None
    most = Decimal(10) ** (limits.UNIT_VALUE_MAX_DIGITS - limits.UNIT_VALUE_DECIMAL_PLACES)
    if amount is None or not amount.is_finite() or not Decimal("0.01") <= amount < most:
        problems.append(Problem(number, "item_unit_value", _("Enter an amount greater than 0, such as 12.50.")))
        return Decimal(0)
    return amount.quantize(Decimal(1).scaleb(-limits.UNIT_VALUE_DECIMAL_PLACES))


def _weight(number: int, value: str, unit: str, problems: list) -> int | None:
    if not value:
        return None
    try:
        amount = Decimal(WEIGHT_UNIT.sub("", value).replace(",", "."))
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or amount <= 0:
        problems.append(Problem(number, "weight", _("Enter the weight as a number greater than 0.")))
        return None
    grams = int((amount * Decimal(str(WEIGHT_GRAMS[unit]))).to_integral_value()) or 1
    if grams > limits.WEIGHT_G_MAX:
        problems.append(
            Problem(number, "weight", _("A parcel weighs at most %(kg)s kg.") % {"kg": limits.WEIGHT_G_MAX // 1000})
        )
        return None
    return grams


def _draft(values: dict, settings: dict) -> OrderDraft:
    first = values["order"]
    recipient = AddressDraft(**{name: first[f"recipient_{name}"] for name in limits.ADDRESS_FIELDS})
    sender = AddressDraft(**{name: str(settings[f"sender_{name}"] or "") for name in SENDER_FIELDS})
    items = tuple(
        ItemDraft(
            description=row["item_description"],
            quantity=row["quantity"],
            unit_value=row["unit_value"],
            currency=(row["item_currency"] or settings["currency"]).upper(),
            hs_code=HS_NOISE.sub("", row["item_hs_code"] or settings["hs_code"]),
            origin_country=row["item_origin_country"] or settings["origin_country"],
            sku=row["item_sku"],
        )
        for row in values["items"]
    )
    parcel = ParcelDraft(
        weight_g=first["weight_g"] or int(settings["weight_g"]),
        length_mm=int(settings["length_mm"]),
        width_mm=int(settings["width_mm"]),
        height_mm=int(settings["height_mm"]),
        items=items,
    )
    return OrderDraft(
        sender=sender,
        recipient=recipient,
        parcels=(parcel,),
        service_level=first["service_level"] or settings["service_level"],
        reference=first["reference"],
    )


def problems_from_paths(order: PlannedOrder, fields: dict[str, list[str]]) -> list[Problem]:
    """The shipping center's field paths (`recipient.postal_code`, `parcels[0].items[2].hs_code`)
    as problems of the rows they came from."""
    problems = []
    for path, messages in fields.items():
        row, name = order.first_row, ""
        match = ITEM_PATH.fullmatch(path)
        if match and int(match[1]) < len(order.rows):
            row, name = order.rows[int(match[1])], f"item_{match[2]}"
        elif path.startswith("recipient."):
            name = "recipient_" + path.removeprefix("recipient.")
        elif path.startswith("sender."):
            name = "settings.sender_" + path.removeprefix("sender.")
        elif path == "parcels[0].weight_g":
            name = "weight"
        elif path.startswith("parcels[0]."):
            name = "settings." + path.removeprefix("parcels[0].")
        elif path == "service_level":
            name = "service_level"
        for message in messages:
            problems.append(Problem(row, name if name in FIELDS or name.startswith("settings.") else "", str(message)))
    return problems
