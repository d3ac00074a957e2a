import functools
import gettext
import json
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

import pycountry
from django import forms
from django.core.validators import RegexValidator
from django.urls import reverse_lazy
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext_lazy as _
from pypinyin import lazy_pinyin

from apps.common.forms import QuickSelect
from apps.common.text import refuse_control_characters
from apps.orders.types import AddressDraft, ItemDraft, OrderDraft, ParcelDraft
from apps.resources.types import STRATEGIES
from apps.shipping import limits
from apps.shipping.limits import ADDRESS_FIELDS

STRATEGY_LABELS = {
    "cheapest": gettext_lazy("Cheapest"),
    "fastest": gettext_lazy("Fastest"),
    "on_time": gettext_lazy("Best on-time record"),
    "preferred": gettext_lazy("My preferred carriers"),
}
# What every country's addresses need; the rest (a US state, a Chinese province, a postcode) the
# shipping center's per-country rules ask for, with the error beside the field.
REQUIRED = {"name", "line1", "city", "country"}
LABELS = {
    "name": gettext_lazy("Name"),
    "company": gettext_lazy("Company"),
    "line1": gettext_lazy("Address line 1"),
    "line2": gettext_lazy("Address line 2"),
    "city": gettext_lazy("City"),
    "state": gettext_lazy("State or province"),
    "postal_code": gettext_lazy("Postal code"),
    "country": gettext_lazy("Country"),
    "phone": gettext_lazy("Phone"),
    "email": gettext_lazy("Email"),
}
# pycountry's catalogue for each of the portal's languages (English is the names themselves).
PYCOUNTRY_LOCALES = {"zh-hans": "zh_CN", "de": "de", "fr": "fr", "es": "es"}


@functools.cache
def _country_choices(language: str) -> tuple[tuple[str, str], ...]:
    locale = PYCOUNTRY_LOCALES.get(language)
    names = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[locale] if locale else [], fallback=True)
    choices = [(c.alpha_2, names.gettext(c.name)) for c in pycountry.countries]
    return (("", "—"), *sorted(choices, key=lambda choice: _alphabetical(choice[1], language)))


def _alphabetical(name: str, language: str) -> str:
    """Where `name` goes in an alphabetical list: Chinese names by their pinyin, others without
    their accents (Österreich beside Oman)."""
    if language == "zh-hans":
        return " ".join(lazy_pinyin(name)).casefold()
    return "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c)).casefold()


def country_choices() -> tuple[tuple[str, str], ...]:
    """Countries by name in the language of the request, in its alphabetical order, stored as
    their ISO code."""
    return _country_choices(get_language() or "en")


def country_field(**options) -> forms.ChoiceField:
    return forms.ChoiceField(choices=country_choices, widget=QuickSelect, **options)


def _redraw(target: str, *, action: str) -> dict[str, str]:
    """htmx attributes that post the form when the choice changes and redraw `target` from the
    answer (the whole form page, drawn again with what the choice fills in)."""
    return {
        "hx-post": reverse_lazy("portal:order-create"),
        "hx-trigger": "change",
        "hx-include": "closest form",
        "hx-vals": json.dumps({"action": action}),
        "hx-target": target,
        "hx-select": target,
        "hx-swap": "outerHTML",
    }


def _text(max_length: int, **options) -> forms.CharField:
    """A single-line text field with the same limits as the column and the API's field."""
    return forms.CharField(max_length=max_length, validators=[refuse_control_characters], **options)


def _address_fields(prefix: str) -> dict[str, forms.Field]:
    fields = {}
    for name in ADDRESS_FIELDS:
        if name == "country":
            fields[f"{prefix}_country"] = country_field(label=LABELS["country"])
            continue
        field = forms.EmailField if name == "email" else forms.CharField
        fields[f"{prefix}_{name}"] = field(
            max_length=limits.ADDRESS_MAX_LENGTH[name],
            required=name in REQUIRED,
            label=LABELS[name],
            validators=[refuse_control_characters],
        )
    return fields


def _parcel_field(name: str, label: str) -> forms.IntegerField:
    return forms.IntegerField(min_value=1, max_value=limits.PARCEL_MAX[name], label=label)


def _parcel_fields() -> dict[str, forms.IntegerField]:
    return {
        "weight_g": _parcel_field("weight_g", gettext_lazy("Weight (g)")),
        "length_mm": _parcel_field("length_mm", gettext_lazy("Length (mm)")),
        "width_mm": _parcel_field("width_mm", gettext_lazy("Width (mm)")),
        "height_mm": _parcel_field("height_mm", gettext_lazy("Height (mm)")),
    }


PARCEL_FIELDS = tuple(_parcel_fields())


class ParcelForm(forms.Form):
    """A parcel's weight and size."""

    locals().update(_parcel_fields())


class BaseParcelFormSet(forms.BaseFormSet):
    def __init__(self, *args, **kwargs):
        # A parcel added and left blank is an error to fix, not a parcel silently dropped: the
        # lines put in it would have nowhere to go.
        kwargs.setdefault("form_kwargs", {})["empty_permitted"] = False
        super().__init__(*args, **kwargs)


# As many parcels as the API takes; "Add a parcel" posts the form back with one more.
ParcelFormSet = forms.formset_factory(
    ParcelForm,
    formset=BaseParcelFormSet,
    extra=0,
    min_num=1,
    validate_min=True,
    max_num=limits.PARCELS_PER_ORDER_MAX,
    absolute_max=limits.PARCELS_PER_ORDER_MAX,
    validate_max=True,
)


class OrderForm(forms.Form):
    reference = _text(limits.REFERENCE_MAX_LENGTH, required=False, label=gettext_lazy("Reference"))
    service_level = forms.ChoiceField(
        choices=[
            ("standard", gettext_lazy("Standard")),
            ("express", gettext_lazy("Express")),
            ("economy", gettext_lazy("Economy")),
        ],
        label=gettext_lazy("Service level"),
    )
    locals().update(_address_fields("sender"))
    locals().update(_address_fields("recipient"))
    strategy = forms.ChoiceField(
        choices=[("", gettext_lazy("My default")), *((s, STRATEGY_LABELS[s]) for s in STRATEGIES)],
        required=False,
        label=gettext_lazy("Rank routes by"),
    )
    # "carrier/service" of the quoted option picked (radio buttons drawn by the template from
    # the quote); empty: the platform chooses.
    route = forms.CharField(
        max_length=101,
        required=False,
        validators=[RegexValidator(r"\A[\w.-]{1,50}/[\w.-]{1,50}\Z", gettext_lazy("Pick one of the quoted routes."))],
        label=gettext_lazy("Route"),
    )

    def __init__(self, *args, senders=(), **kwargs):
        super().__init__(*args, **kwargs)
        # The merchant's saved sender addresses; "Use" fills the sender fields with the one chosen.
        self.fields["saved_sender"] = forms.TypedChoiceField(
            choices=[("", "—"), *((s.pk, str(s)) for s in senders)],
            coerce=int,
            required=False,
            label=_("Saved sender"),
            # With JavaScript, choosing is enough: htmx redraws the sender; without, "Use" does.
            widget=forms.Select(attrs=_redraw("#sender", action="sender")),
        )

    def chosen_route(self) -> tuple[str, str] | None:
        route = self.cleaned_data["route"]
        return tuple(route.split("/", 1)) if route else None

    def address(self, prefix: str) -> AddressDraft:
        return AddressDraft(**{name: self.cleaned_data[f"{prefix}_{name}"] or "" for name in ADDRESS_FIELDS})


class ItemForm(forms.Form):
    """A customs line: typed, or filled from a product of the merchant's catalogue (`products`:
    (id, name) choices and the products by id); what is typed wins over the product's values."""

    product = forms.TypedChoiceField(choices=[("", "—")], coerce=int, required=False, label=_("Product"))
    description = _text(limits.ITEM_MAX_LENGTH["description"], required=False, label=_("Description"))
    sku = _text(limits.ITEM_MAX_LENGTH["sku"], required=False, label=_("SKU"))
    quantity = forms.IntegerField(min_value=1, max_value=limits.QUANTITY_MAX, required=False, label=_("Qty"))
    unit_value = forms.DecimalField(
        max_digits=limits.UNIT_VALUE_MAX_DIGITS,
        decimal_places=limits.UNIT_VALUE_DECIMAL_PLACES,
        min_value=Decimal("0.01"),
        required=False,
        label=_("Unit value"),
    )
    currency = _text(limits.ITEM_MAX_LENGTH["currency"], initial="USD", required=False, label=_("Currency"))
    hs_code = _text(limits.ITEM_MAX_LENGTH["hs_code"], required=False, label=_("HS code"))
    origin_country = country_field(initial="CN", required=False, label=_("Origin"))

    parcel = forms.TypedChoiceField(choices=[(1, "1")], coerce=int, empty_value=1, required=False, label=_("Parcel"))

    def __init__(self, *args, products: dict | None = None, parcel_count: int = 1, **kwargs):
        super().__init__(*args, **kwargs)
        if parcel_count > 1:  # with one parcel every line is in it
            self.fields["parcel"].choices = [(n, str(n)) for n in range(1, parcel_count + 1)]
        else:
            del self.fields["parcel"]
        self.products = products or {}
        self.fields["product"].choices = [("", "—"), *((pk, str(p)) for pk, p in self.products.items())]
        if self.prefix:  # a line of the order form's formset ("items-0"): redraw just that line
            line = f"#item-{self.prefix.rsplit('-', 1)[-1]}"
            self.fields["product"].widget.attrs.update(_redraw(line, action="product"))
        if not self.products:
            del self.fields["product"]

    def clean(self):
        data = super().clean()
        product = self.products.get(data.get("product"))
        if product is not None:
            for name in ("description", "sku", "unit_value", "currency", "hs_code", "origin_country"):
                if name not in self.errors and data.get(name) in (None, ""):
                    data[name] = getattr(product, name)
            if data.get("quantity") is None and "quantity" not in self.errors:
                data["quantity"] = 1
        for name in ("description", "quantity", "unit_value", "currency", "origin_country"):
            if name not in self.errors and data.get(name) in (None, ""):
                self.add_error(name, forms.ValidationError(forms.Field.default_error_messages["required"], "required"))
        return data


class BaseItemFormSet(forms.BaseFormSet):
    def __init__(self, *args, products: dict | None = None, parcel_count: int = 1, **kwargs):
        kwargs.setdefault("form_kwargs", {}).update(products=products, parcel_count=parcel_count)
        super().__init__(*args, **kwargs)


# As many lines as the API takes in its largest order; "Add lines" posts the form back with more.
ITEM_LINES_MAX = limits.ITEMS_PER_PARCEL_MAX * limits.PARCELS_PER_ORDER_MAX
ITEM_LINES_ADDED = 3
ItemFormSet = forms.formset_factory(
    ItemForm,
    formset=BaseItemFormSet,
    extra=3,
    min_num=1,
    validate_min=True,
    max_num=ITEM_LINES_MAX,
    absolute_max=ITEM_LINES_MAX,
    validate_max=True,
)


def _without_form_fields(line: dict) -> dict:
    return {name: value for name, value in line.items() if name not in ("product", "parcel")}


@dataclass(frozen=True)
class PlacedDraft:
    """An order as the forms hold it, and where each of its items came from: `lines[p][i]` is
    the item form of parcel p's i-th item (a problem the shipping center finds with
    `parcels[p].items[i]` is shown on that line)."""

    draft: OrderDraft
    lines: tuple[tuple[int, ...], ...]


def placed_draft(form: OrderForm, items: ItemFormSet, parcels: list[dict]) -> PlacedDraft:
    """The order drafted from the order form, its item lines (each in the parcel it names, the
    first by default) and `parcels` (weight and size of each, in order)."""
    data = form.cleaned_data
    lines: list[list[int]] = [[] for _ in parcels]
    for index, line in enumerate(items.cleaned_data):
        if line:
            lines[min(line.get("parcel") or 1, len(parcels)) - 1].append(index)
    drafted = tuple(
        ParcelDraft(
            **{name: parcel[name] for name in PARCEL_FIELDS},
            items=tuple(_item_draft(items.cleaned_data[index]) for index in placed),
        )
        for parcel, placed in zip(parcels, lines, strict=True)
    )
    draft = OrderDraft(
        reference=data["reference"],
        service_level=data["service_level"],
        sender=form.address("sender"),
        recipient=form.address("recipient"),
        parcels=drafted,
    )
    return PlacedDraft(draft=draft, lines=tuple(tuple(placed) for placed in lines))


def _item_draft(line: dict) -> ItemDraft:
    return ItemDraft(
        **{**_without_form_fields(line), "sku": line.get("sku") or "", "hs_code": line.get("hs_code") or ""}
    )


_PARCEL_PATH = re.compile(r"\Aparcels\[(\d+)\](?:\.items\[(\d+)\])?\.(\w+)\Z")


@dataclass(frozen=True)
class ErrorPlace:
    """Where a problem found with an order's field goes on the form: an order field, a parcel's
    field (`parcel` is the parcel's index), an item line's field (`line` is the item form's
    index), or, when the form has no such field, the top of the form."""

    field: str
    parcel: int | None = None
    line: int | None = None


def error_place(path: str, placed: PlacedDraft) -> ErrorPlace:
    """Map a shipping-center error path (`recipient.postal_code`, `parcels[1].weight_g`,
    `parcels[0].items[2].quantity`) onto the form."""
    found = _PARCEL_PATH.match(path)
    if found is None:
        return ErrorPlace(field=path.replace(".", "_"))
    parcel, item, field = int(found[1]), found[2], found[3]
    if item is None:
        return ErrorPlace(field=field, parcel=parcel)
    if parcel < len(placed.lines) and int(item) < len(placed.lines[parcel]):
        return ErrorPlace(field=field, line=placed.lines[parcel][int(item)])
    return ErrorPlace(field=path)


class StockOrderForm(OrderForm):
    """An order shipped from the merchant's stock: the order form's fields and limits, with the
    warehouse to ship from (those holding available units) instead of a quoted route; the sender
    is the return address printed on the label."""

    route = None  # the platform picks the best route from the warehouse
    locals().update(_parcel_fields())  # one parcel: the warehouse packs it

    def __init__(self, *args, warehouses: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"] = forms.ChoiceField(choices=warehouses, label=gettext_lazy("Ship from warehouse"))
        self.order_fields(["warehouse"])

    def chosen_route(self) -> None:
        return None

    def parcels(self) -> list[dict]:
        return [{name: self.cleaned_data[name] for name in PARCEL_FIELDS}]


class StockLineForm(ItemForm):
    """A line shipped from stock: a SKU with available units, and what customs needs to know of it.

    The SKUs are offered as a list when there are few enough to read (`skus`); with more (None),
    the SKU is typed, and `stock_lines_check` refuses one with no units available."""

    def __init__(self, *args, skus: list[str] | None, **kwargs):
        super().__init__(*args, **kwargs)
        if skus is None:
            self.fields["sku"] = _text(limits.ITEM_MAX_LENGTH["sku"], label=gettext_lazy("SKU"))
        else:
            self.fields["sku"] = forms.ChoiceField(
                choices=[("", "—"), *((sku, sku) for sku in skus)], label=gettext_lazy("SKU")
            )
        self.order_fields(["sku"])


StockLineFormSet = forms.formset_factory(StockLineForm, extra=2, min_num=1, validate_min=True)


def stock_lines_check(lines: StockLineFormSet, available: dict[str, int]) -> bool:
    """Each SKU's units (summed over its lines) within what the warehouse has available; the
    excess is put on the SKU's lines. The warehouse order's reservation is the last word."""
    wanted: dict[str, int] = {}
    for data in lines.cleaned_data:
        if data:
            wanted[data["sku"]] = wanted.get(data["sku"], 0) + data["quantity"]
    ok = True
    for form in lines.forms:
        sku = form.cleaned_data.get("sku") if form.cleaned_data else None
        if sku and sku not in available:
            form.add_error("sku", _("No units of %(sku)s are available here.") % {"sku": sku})
            ok = False
        elif sku and wanted[sku] > available[sku]:
            form.add_error(
                "quantity", _("Only %(units)s of %(sku)s available here.") % {"units": available[sku], "sku": sku}
            )
            ok = False
    return ok


class AsnForm(forms.Form):
    warehouse = forms.ChoiceField(choices=[], label=gettext_lazy("To warehouse"))
    expected_at = forms.DateField(required=False, label=gettext_lazy("Expected on (YYYY-MM-DD)"))

    def __init__(self, *args, warehouses: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].choices = warehouses


class AsnLineForm(forms.Form):
    sku = _text(limits.ITEM_MAX_LENGTH["sku"], label=gettext_lazy("SKU"))
    quantity = forms.IntegerField(min_value=1, max_value=limits.QUANTITY_MAX, label=gettext_lazy("Units"))


AsnLineFormSet = forms.formset_factory(
    AsnLineForm, extra=3, min_num=1, validate_min=True, max_num=500, validate_max=True
)


class StockFilterForm(forms.Form):
    warehouse = forms.ChoiceField(choices=[], required=False, label=gettext_lazy("Warehouse"))
    sku = _text(limits.ITEM_MAX_LENGTH["sku"], required=False, label=gettext_lazy("SKU"))

    def __init__(self, *args, warehouses: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].choices = [("", _("All warehouses")), *warehouses]
