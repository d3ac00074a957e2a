"""Forms of label batches: the batch to buy, and how to print it."""

import uuid

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from apps.batches.printing import PAPER_CHOICES
from apps.batches.services import BATCH_MAX_ORDERS
from apps.resources.selectors import service_choices

ORDER_ID_MAX_DIGITS = 19  # a bigint
ORDER_ID_MAX = 2**63 - 1
ORDER_IDS_MAX_LENGTH = BATCH_MAX_ORDERS * (ORDER_ID_MAX_DIGITS + 1)


def parse_order_ids(values: list[str]) -> list[int] | None:
    """Order ids as the list's checkboxes send them (decimal), or None when one is not an id."""
    ids = []
    for value in values:
        if not (value.isascii() and value.isdigit() and 0 < len(value) <= ORDER_ID_MAX_DIGITS):
            return None
        if int(value) > ORDER_ID_MAX:
            return None
        ids.append(int(value))
    return ids


class BatchForm(forms.Form):
    """Buy the labels of the selected orders with one service, or the platform's choice."""

    service = forms.ChoiceField(label=_("Service for the labels to buy"), required=False)
    # The orders, carried from the list's selection (comma-separated ids).
    order_ids = forms.CharField(
        max_length=ORDER_IDS_MAX_LENGTH,
        widget=forms.HiddenInput,
        validators=[RegexValidator(r"\A\d{1,19}(,\d{1,19})*\Z", _("The selection was damaged: select again."))],
    )
    # One per form shown: posting the same form twice (a double click) buys once.
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("idempotency_key", uuid.uuid4())
        super().__init__(*args, **kwargs)
        self.fields["service"].choices = [
            ("", _("Let the platform choose (routing's pick per order)")),
            *service_choices(),
        ]

    def clean_order_ids(self) -> list[int]:
        ids = parse_order_ids(self.cleaned_data["order_ids"].split(","))
        if ids is None:
            raise forms.ValidationError(_("The selection was damaged: select again."))
        ids = list(dict.fromkeys(ids))
        if len(ids) > BATCH_MAX_ORDERS:
            raise forms.ValidationError(_("A batch holds at most %(max)d orders.") % {"max": BATCH_MAX_ORDERS})
        return ids

    def chosen_route(self) -> tuple[str, str] | None:
        service = self.cleaned_data["service"]
        return tuple(service.split("/", 1)) if service else None


class PrintForm(forms.Form):
    """How to print a batch's labels: paper, and a packing slip per order or not."""

    paper = forms.ChoiceField(choices=PAPER_CHOICES, label=_("Paper"), initial="4x6")
    packing_slips = forms.BooleanField(required=False, label=_("A packing slip per order"))
