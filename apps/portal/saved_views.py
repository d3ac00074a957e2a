"""What a merchant keeps for its orders: saved sender addresses (one the default the order form
starts with), the product catalogue that fills customs lines, and its carrier preferences (the
routing preferences the resource center ranks quotes by). Plain forms; the shipping and resource
centers decide (a sender address is checked by the same per-country rules as an order's)."""

from collections.abc import Callable
from dataclasses import dataclass
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
    product_get,
    product_list,
    product_save,
    sender_address_delete,
    sender_address_draft,
    sender_address_get,
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


@dataclass(frozen=True)
class SavedKind:
    """What the list, edit and delete pages of one kind of saved item need: its form, how the
    shipping center lists, reads, saves and deletes it, and its words. Senders and products
    differ in these alone."""

    name: str  # the URLs': portal:<name>s, portal:<name>-edit with <name>_id
    form: type[forms.Form]
    template: str
    field_prefix: str  # the form's field names for the service's (sender_city for city)
    items: Callable[..., object]
    get: Callable[..., object]
    save: Callable[..., object]  # (request, form, item_id or None)
    delete: Callable[..., None]  # (request, item_id)
    initial: Callable[[object], dict]
    new_initial: dict
    saved: str
    deleted: str
    edit_title: str


def _save_sender(request, form: SenderForm, sender_id: int | None) -> None:
    sender_address_save(
        merchant_id=request.merchant.pk,
        address=form.address(),
        label=form.cleaned_data["label"],
        is_default=form.cleaned_data["is_default"],
        sender_id=sender_id,
        actor=request.user,
    )


def _save_product(request, form: ProductForm, product_id: int | None) -> None:
    product_save(merchant_id=request.merchant.pk, product_id=product_id, actor=request.user, **form.cleaned_data)


SENDERS = SavedKind(
    name="sender",
    form=SenderForm,
    template="portal/senders.html",
    field_prefix="sender_",
    items=lambda request: sender_address_list(merchant_id=request.merchant.pk),
    get=lambda request, item_id: sender_address_get(merchant_id=request.merchant.pk, sender_id=item_id),
    save=_save_sender,
    delete=lambda request, item_id: sender_address_delete(
        merchant_id=request.merchant.pk, sender_id=item_id, actor=request.user
    ),
    initial=lambda sender: {
        "label": sender.label,
        "is_default": sender.is_default,
        **{f"sender_{name}": getattr(sender, name) for name in ADDRESS_NAMES},
    },
    new_initial={"sender_country": "CN"},
    saved=_("Sender address saved."),
    deleted=_("Sender address deleted."),
    edit_title=_("Edit sender address"),
)
PRODUCTS = SavedKind(
    name="product",
    form=ProductForm,
    template="portal/products.html",
    field_prefix="",
    items=lambda request: product_list(merchant_id=request.merchant.pk),
    get=lambda request, item_id: product_get(merchant_id=request.merchant.pk, product_id=item_id),
    save=_save_product,
    delete=lambda request, item_id: product_delete(
        merchant_id=request.merchant.pk, product_id=item_id, actor=request.user
    ),
    initial=lambda product: {name: getattr(product, name) for name in ProductForm.base_fields},
    new_initial={},
    saved=_("Product saved."),
    deleted=_("Product deleted."),
    edit_title=_("Edit product"),
)


def _saved(kind: SavedKind, request, form: forms.Form, item_id: int | None) -> bool:
    """Save the posted form through the shipping center; False with the refusals beside the fields."""
    if not form.is_valid():
        return False
    try:
        kind.save(request, form, item_id)
    except InvalidOrder as exc:
        _show_errors(form, exc, prefix=kind.field_prefix)
        return False
    messages.success(request, kind.saved)
    return True


def _item_or_404(kind: SavedKind, request, item_id: int):
    try:
        return kind.get(request, item_id)
    except SavedItemNotFound as exc:
        raise Http404(exc.message) from exc


def _list_view(kind: SavedKind):
    @merchant_required(permission="orders.create")
    def view(request):
        """The merchant's saved items, and a form for a new one."""
        form = kind.form(request.POST or None, initial=kind.new_initial)
        if request.method == "POST" and _saved(kind, request, form, None):
            return redirect(f"portal:{kind.name}s")
        context = {"form": form, "items": kind.items(request), "labels": LABELS}
        return render(request, kind.template, context, status=400 if request.method == "POST" else 200)

    return view


def _edit_view(kind: SavedKind):
    @merchant_required(permission="orders.create")
    def view(request, **ids):
        """One saved item's form, filled in; saved as a new one is, through the same checks."""
        item = _item_or_404(kind, request, ids[f"{kind.name}_id"])
        form = kind.form(request.POST or None, initial=kind.initial(item))
        if request.method == "POST" and _saved(kind, request, form, item.pk):
            return redirect(f"portal:{kind.name}s")
        context = {"form": form, "item": item, "title": kind.edit_title, "back": f"portal:{kind.name}s"}
        return render(request, "portal/saved_edit.html", context, status=400 if request.method == "POST" else 200)

    return view


def _delete_view(kind: SavedKind):
    @require_POST
    @merchant_required(permission="orders.create")
    def view(request, **ids):
        try:
            kind.delete(request, ids[f"{kind.name}_id"])
        except SavedItemNotFound as exc:
            raise Http404(exc.message) from exc
        messages.success(request, kind.deleted)
        return redirect(f"portal:{kind.name}s")

    return view


sender_list_view = _list_view(SENDERS)
sender_edit_view = _edit_view(SENDERS)
sender_delete_view = _delete_view(SENDERS)
product_list_view = _list_view(PRODUCTS)
product_edit_view = _edit_view(PRODUCTS)
product_delete_view = _delete_view(PRODUCTS)


@require_POST
@merchant_required(permission="orders.create")
def sender_default_view(request, sender_id: int):
    sender = _item_or_404(SENDERS, request, sender_id)
    sender_address_save(
        merchant_id=request.merchant.pk,
        address=sender_address_draft(sender),
        label=sender.label,
        is_default=True,
        sender_id=sender.pk,
        actor=request.user,
    )
    messages.success(request, _("New orders start with %s.") % sender.label)
    return redirect("portal:senders")


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
