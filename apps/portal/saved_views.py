"""What a merchant keeps for its orders: saved sender addresses (one the default the order form
starts with), the product catalogue that fills customs lines, and its carrier preferences (the
routing preferences the resource center ranks quotes by). Plain forms; the shipping and resource
centers decide (a sender address is checked by the same per-country rules as an order's)."""

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from apps.common.text import refuse_control_characters
from apps.orders.types import AddressDraft
from apps.portal.forms import LABELS, STRATEGY_LABELS, _address_fields, country_field
from apps.portal.views import merchant_required
from apps.resources.selectors import carrier_list, merchant_preferences_saved
from apps.resources.services import merchant_preferences_set
from apps.resources.types import STRATEGIES
from apps.shipping import limits
from apps.shipping.exceptions import InvalidOrder, SavedItemNotFound
from apps.shipping.models import Product
from apps.shipping.saved import (
    ADDRESS_NAMES,
    product_delete,
    product_list,
    product_save,
    sender_address_delete,
    sender_address_list,
    sender_address_save,
)


def _text(max_length: int, **options) -> forms.CharField:
    return forms.CharField(max_length=max_length, validators=[refuse_control_characters], **options)


class SenderForm(forms.Form):
    label = _text(100, required=False, label=_("Label (e.g. “Shenzhen warehouse”)"))
    locals().update(_address_fields("sender"))
    is_default = forms.BooleanField(required=False, label=_("Use it for new orders"))

    def address(self) -> AddressDraft:
        return AddressDraft(**{name: self.cleaned_data[f"sender_{name}"] or "" for name in ADDRESS_NAMES})


def _product_column(name: str) -> int:
    return Product._meta.get_field(name).max_length


class ProductForm(forms.Form):
    description = _text(_product_column("description"), label=_("Description (English)"))
    description_zh = _text(_product_column("description_zh"), required=False, label=_("Description (Chinese)"))
    sku = _text(_product_column("sku"), required=False, label="SKU")
    hs_code = _text(_product_column("hs_code"), label=_("HS code"))
    origin_country = country_field(initial="CN", label=_("Origin"))
    unit_value = forms.DecimalField(
        max_digits=limits.UNIT_VALUE_MAX_DIGITS,
        decimal_places=limits.UNIT_VALUE_DECIMAL_PLACES,
        min_value=Decimal("0.01"),
        label=_("Unit value"),
    )
    currency = _text(3, initial="USD", label=_("Currency"))
    weight_g = forms.IntegerField(min_value=1, max_value=limits.WEIGHT_G_MAX, required=False, label=_("Weight (g)"))


class PreferencesForm(forms.Form):
    default_strategy = forms.ChoiceField(
        choices=[(s, STRATEGY_LABELS[s]) for s in STRATEGIES], label=_("Rank routes by default by")
    )
    preferred = forms.MultipleChoiceField(
        choices=[], required=False, widget=forms.CheckboxSelectMultiple, label=_("Preferred carriers")
    )
    blocked = forms.MultipleChoiceField(
        choices=[], required=False, widget=forms.CheckboxSelectMultiple, label=_("Never use these carriers")
    )

    def __init__(self, *args, carriers: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["preferred"].choices = carriers
        self.fields["blocked"].choices = carriers

    def clean(self):
        data = super().clean()
        both = set(data.get("preferred", ())) & set(data.get("blocked", ()))
        if both:
            message = _("A carrier cannot be both preferred and blocked: %s.") % ", ".join(sorted(both))
            self.add_error("blocked", message)
        return data


def _show_errors(form: forms.Form, error: InvalidOrder, prefix: str = "") -> None:
    for name, problems in error.extra.get("fields", {}).items():
        field = f"{prefix}{name}"
        for problem in problems:
            form.add_error(field if field in form.fields else None, problem)


@merchant_required(permission="orders.create")
def sender_list_view(request):
    form = SenderForm(request.POST or None, initial={"sender_country": "CN"})
    if request.method == "POST" and form.is_valid():
        try:
            sender_address_save(
                merchant_id=request.merchant.pk,
                address=form.address(),
                label=form.cleaned_data["label"],
                is_default=form.cleaned_data["is_default"],
            )
        except InvalidOrder as exc:
            _show_errors(form, exc, prefix="sender_")
        else:
            messages.success(request, _("Sender address saved."))
            return redirect("portal:senders")
    return render(
        request,
        "portal/senders.html",
        {"form": form, "senders": sender_address_list(merchant_id=request.merchant.pk), "labels": LABELS},
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@merchant_required(permission="orders.create")
def sender_default_view(request, sender_id: int):
    senders = {s.pk: s for s in sender_address_list(merchant_id=request.merchant.pk)}
    sender = senders.get(sender_id)
    if sender is None:
        raise Http404("No such sender address.")
    sender_address_save(
        merchant_id=request.merchant.pk,
        address=AddressDraft(**{name: getattr(sender, name) for name in ADDRESS_NAMES}),
        label=sender.label,
        is_default=True,
        sender_id=sender.pk,
    )
    messages.success(request, _("New orders start with %s.") % sender.label)
    return redirect("portal:senders")


@require_POST
@merchant_required(permission="orders.create")
def sender_delete_view(request, sender_id: int):
    try:
        sender_address_delete(merchant_id=request.merchant.pk, sender_id=sender_id)
    except SavedItemNotFound as exc:
        raise Http404(exc.message) from exc
    messages.success(request, _("Sender address deleted."))
    return redirect("portal:senders")


@merchant_required(permission="orders.create")
def product_list_view(request):
    form = ProductForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            product_save(merchant_id=request.merchant.pk, **form.cleaned_data)
        except InvalidOrder as exc:
            _show_errors(form, exc)
        else:
            messages.success(request, _("Product saved."))
            return redirect("portal:products")
    return render(
        request,
        "portal/products.html",
        {"form": form, "products": product_list(merchant_id=request.merchant.pk)},
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@merchant_required(permission="orders.create")
def product_delete_view(request, product_id: int):
    try:
        product_delete(merchant_id=request.merchant.pk, product_id=product_id)
    except SavedItemNotFound as exc:
        raise Http404(exc.message) from exc
    messages.success(request, _("Product deleted."))
    return redirect("portal:products")


@merchant_required(permission="orders.create")
def preferences_view(request):
    """The merchant's carrier preferences, as routing ranks its quotes by them."""
    current = merchant_preferences_saved(merchant_id=request.merchant.pk)
    carriers = [(c.code, c.name or c.code) for c in carrier_list()]
    form = PreferencesForm(
        request.POST or None,
        carriers=carriers,
        initial={
            "default_strategy": current.default_strategy,
            "preferred": sorted(current.preferred_carriers),
            "blocked": sorted(current.blocked_carriers),
        },
    )
    if request.method == "POST" and form.is_valid():
        merchant_preferences_set(
            merchant_id=request.merchant.pk,
            preferred=form.cleaned_data["preferred"],
            blocked=form.cleaned_data["blocked"],
            default_strategy=form.cleaned_data["default_strategy"],
        )
        messages.success(request, _("Carrier preferences saved; new quotes use them."))
        return redirect("portal:preferences")
    return render(request, "portal/preferences.html", {"form": form}, status=400 if request.method == "POST" else 200)
