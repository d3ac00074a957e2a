"""The merchant's order filters, shared by the portal and the ERP API.

Each filter is served by an index that leads with the merchant (see Order.Meta.indexes). Ids
are time-ordered, so a created-at range is turned into an id range and rides the primary key.
"""

import re
from datetime import UTC, datetime

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from apps.common.ids import EPOCH_MS, TIME_SHIFT
from apps.common.text import refuse_control_characters
from apps.orders.models import Order, OrderState
from apps.orders.selectors import order_list

_PHONE_LIKE = re.compile(r"^\+?[\d ()-]{5,}$")


def first_id_at(moment: datetime) -> int:
    """The smallest id that can have been made at or after `moment`."""
    return max(0, int(moment.timestamp() * 1000) - EPOCH_MS) << TIME_SHIFT


def _in_utc(value: datetime) -> datetime:
    """The moment in UTC: PostgreSQL refuses offsets beyond ±15:59 that ISO 8601 text may carry,
    and a moment at the edge of the calendar is clamped to the edge."""
    try:
        return value.astimezone(UTC)
    except OverflowError:
        return (datetime.min if value.year == datetime.min.year else datetime.max).replace(tzinfo=UTC)


class _YesNoOrUnsetSelect(forms.NullBooleanSelect):
    """The portal's Unknown/Yes/No select, passing the raw value on to the field: the stock
    widget reads anything it does not know as Unknown."""

    def value_from_datadict(self, data, files, name):
        return data.get(name)


class _YesNoOrUnsetField(forms.NullBooleanField):
    """true or false (1 or 0), or not given (empty, or the select's "unknown"); anything else is
    an error rather than "not given", which would answer a question the caller did not ask."""

    widget = _YesNoOrUnsetSelect

    def to_python(self, value):
        if value in (None, "", "unknown"):
            return None
        if value in (True, "true", "True", "1"):
            return True
        if value in (False, "false", "False", "0"):
            return False
        raise ValidationError(_("Give true or false."), code="invalid")


class _YesNoFilter(django_filters.BooleanFilter):
    field_class = _YesNoOrUnsetField


def _text_filter(column: str, **options) -> django_filters.CharFilter:
    """A filter on a text column: a value longer than the column could never match, and a control
    character is no text a person typed (PostgreSQL refuses NUL outright), so both are errors."""
    return django_filters.CharFilter(
        max_length=Order._meta.get_field(column).max_length, validators=[refuse_control_characters], **options
    )


# The levels an order can ask for (shipping validates them at intake), for filters offering them.
SERVICE_LEVELS = [("express", _("Express")), ("standard", _("Standard")), ("economy", _("Economy"))]


class OrderFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(choices=OrderState.choices, label=_("State"))
    reference = _text_filter("reference", label=_("Reference"))
    tracking_number = _text_filter("tracking_number", label=_("Tracking number"))
    destination_country = _text_filter(
        "recipient_country", field_name="recipient_country", method="filter_upper", label=_("Destination country")
    )
    carrier = _text_filter("carrier_code", field_name="carrier_code", label=_("Carrier"))
    service_level = django_filters.ChoiceFilter(choices=SERVICE_LEVELS, label=_("Service level"))
    created_after = django_filters.IsoDateTimeFilter(method="filter_created_after", label=_("Created after"))
    created_before = django_filters.IsoDateTimeFilter(method="filter_created_before", label=_("Created before"))
    # As long as the longest of the columns it searches (the email).
    q = _text_filter("recipient_email", method="filter_search", label=_("Recipient name, email or phone"))
    archived = _YesNoFilter(
        method="filter_archived", label=_("Archived orders (closed long ago) instead of current ones")
    )

    class Meta:
        model = Order
        fields = []

    def filter_archived(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        return queryset  # the table was chosen when the filter set was made: see merchant_order_filter

    def filter_upper(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(**{name: value.upper()})

    def filter_created_after(self, queryset: QuerySet, name: str, value: datetime) -> QuerySet:
        value = _in_utc(value)
        return queryset.filter(id__gte=first_id_at(value), created_at__gte=value)

    def filter_created_before(self, queryset: QuerySet, name: str, value: datetime) -> QuerySet:
        value = _in_utc(value)
        return queryset.filter(id__lt=first_id_at(value), created_at__lt=value)

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        if "@" in value:
            return queryset.annotate(email_upper=Upper("recipient_email")).filter(email_upper=value.upper())
        if _PHONE_LIKE.match(value):
            return queryset.filter(recipient_phone=value)
        return queryset.filter(recipient_name__icontains=value)


def merchant_order_filter(params, *, merchant_id: int) -> OrderFilter:
    """The merchant's orders filtered by `params`, over the archive when `archived` is true: the
    archive has the same columns, so every other filter and the paging work the same on it."""
    filters = OrderFilter(params, queryset=order_list(merchant_id=merchant_id))
    if filters.is_valid() and filters.form.cleaned_data.get("archived"):
        filters.queryset = order_list(merchant_id=merchant_id, archived=True)
    return filters
