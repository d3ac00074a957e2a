"""The routing engine's reasons (`types.Reason`: why a service or warehouse cannot take an
order) in the reader's language, for the portal and the refusals it shows. The engine writes them
in English without Django; each has a code and its values, and here a sentence per code."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from apps.resources.types import Reason

SENTENCES = {
    "blocked": _("blocked by the merchant"),
    "postcode_not_served": _("does not serve postcode %(postcode)s"),
    "too_heavy": _("parcel of %(grams)s g exceeds the %(limit)s g limit"),
    "too_long": _("side of %(mm)s mm exceeds the %(limit)s mm limit"),
    "no_rate": _("no exchange rate for %(currency)s"),
    "value_too_high": _("declared value %(value)s %(currency)s exceeds the %(limit)s %(currency)s limit"),
    "value_too_low": _("declared value %(value)s %(currency)s is under the %(minimum)s %(currency)s minimum"),
    "contents_refused": _("does not accept %(contents)s"),
    "no_zone": _("no rate card zone for %(country)s %(postcode)s"),
    "over_rate_card": _("rate card prices no parcel over %(grams)s g to zone %(zone)s"),
    "no_surcharge_rate": _("no exchange rate for a remote-area surcharge"),
    "at_capacity": _("at daily capacity (%(used)s/%(capacity)s today)"),
    "carrier_status": _("carrier is %(status)s"),
    "service_inactive": _("service is inactive"),
    "lane_not_served": _("does not serve %(origin)s→%(destination)s"),
    "other_level": _("service level is %(level)s, not %(wanted)s"),
    "past_cutoff": _("past its cut-off (%(cutoff)s %(timezone)s); %(warehouses)s ships it today"),
    "no_carrier_from_warehouse": _("no carrier from there takes the order (hands parcels to %(carriers)s)"),
    "warehouse_short": _("warehouse lacks stock of %(skus)s"),
    "warehouse_not_shipping_to": _("warehouse does not ship to %(country)s"),
    "warehouse_at_capacity": _("warehouse at daily capacity (%(used)s/%(capacity)s today)"),
    "no_such_service": _("no such carrier service"),
}
# Values that are codes themselves: a carrier's status, a service level.
VALUE_WORDS = {
    "status": {
        "suspended": pgettext_lazy("carrier", "suspended"),
        "maintenance": pgettext_lazy("carrier", "in maintenance"),
    },
    "level": {
        "express": pgettext_lazy("service level", "express"),
        "standard": pgettext_lazy("service level", "standard"),
        "economy": pgettext_lazy("service level", "economy"),
    },
}
VALUE_WORDS["wanted"] = VALUE_WORDS["level"]


def reason_text(reason: str) -> str:
    """`reason` in the active language when the engine gave it a code we have words for, else as it is."""
    sentence = SENTENCES.get(getattr(reason, "code", ""))
    if sentence is None or not isinstance(reason, Reason):
        return str(reason)
    values = {name: VALUE_WORDS.get(name, {}).get(value, value) for name, value in reason.values.items()}
    return str(sentence) % values
