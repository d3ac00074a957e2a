from decimal import Decimal

from django import forms
from django.core.validators import RegexValidator

from apps.orders.types import AddressDraft, ItemDraft, OrderDraft, ParcelDraft
from apps.resources.types import STRATEGIES

ADDRESS_FIELDS = ("name", "company", "line1", "line2", "city", "state", "postal_code", "country", "phone", "email")
STRATEGY_LABELS = {
    "cheapest": "Cheapest",
    "fastest": "Fastest",
    "on_time": "Best on-time record",
    "preferred": "My preferred carriers",
}
REQUIRED = {"name", "line1", "city", "postal_code", "country"}
LABELS = {
    "line1": "Address line 1",
    "line2": "Address line 2",
    "state": "State or province",
    "country": "Country (ISO code)",
}


def _address_fields(prefix: str) -> dict[str, forms.Field]:
    fields = {}
    for name in ADDRESS_FIELDS:
        field = forms.EmailField if name == "email" else forms.CharField
        max_length = {"country": 2, "postal_code": 20, "phone": 30}.get(name, 200)
        fields[f"{prefix}_{name}"] = field(
            max_length=max_length,
            required=name in REQUIRED,
            label=LABELS.get(name, name.replace("_", " ").capitalize()),
        )
    return fields


class OrderForm(forms.Form):
    reference = forms.CharField(max_length=100, required=False)
    service_level = forms.ChoiceField(
        choices=[("standard", "Standard"), ("express", "Express"), ("economy", "Economy")]
    )
    locals().update(_address_fields("sender"))
    locals().update(_address_fields("recipient"))
    weight_g = forms.IntegerField(min_value=1, label="Weight (g)")
    length_mm = forms.IntegerField(min_value=1, label="Length (mm)")
    width_mm = forms.IntegerField(min_value=1, label="Width (mm)")
    height_mm = forms.IntegerField(min_value=1, label="Height (mm)")
    strategy = forms.ChoiceField(
        choices=[("", "My default"), *((s, STRATEGY_LABELS[s]) for s in STRATEGIES)],
        required=False,
        label="Rank routes by",
    )
    # "carrier/service" of the quoted option picked (radio buttons drawn by the template from
    # the quote); empty: the platform chooses.
    route = forms.CharField(
        max_length=101,
        required=False,
        validators=[RegexValidator(r"\A[\w.-]{1,50}/[\w.-]{1,50}\Z", "Pick one of the quoted routes.")],
    )

    def chosen_route(self) -> tuple[str, str] | None:
        route = self.cleaned_data["route"]
        return tuple(route.split("/", 1)) if route else None

    def address(self, prefix: str) -> AddressDraft:
        return AddressDraft(**{name: self.cleaned_data[f"{prefix}_{name}"] or "" for name in ADDRESS_FIELDS})


class ItemForm(forms.Form):
    description = forms.CharField(max_length=200)
    sku = forms.CharField(max_length=64, required=False)
    quantity = forms.IntegerField(min_value=1)
    unit_value = forms.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"))
    currency = forms.CharField(max_length=3, initial="USD")
    hs_code = forms.CharField(max_length=12, required=False, label="HS code")
    origin_country = forms.CharField(max_length=2, initial="CN")


ItemFormSet = forms.formset_factory(ItemForm, extra=3, min_num=1, validate_min=True)


def order_draft(form: OrderForm, items: ItemFormSet) -> OrderDraft:
    data = form.cleaned_data
    return OrderDraft(
        reference=data["reference"],
        service_level=data["service_level"],
        sender=form.address("sender"),
        recipient=form.address("recipient"),
        parcels=(
            ParcelDraft(
                weight_g=data["weight_g"],
                length_mm=data["length_mm"],
                width_mm=data["width_mm"],
                height_mm=data["height_mm"],
                items=tuple(
                    ItemDraft(**{**i, "sku": i.get("sku") or "", "hs_code": i.get("hs_code") or ""})
                    for i in items.cleaned_data
                    if i
                ),
            ),
        ),
    )


def field_for_path(path: str) -> tuple[str, int | None, str]:
    """Map a shipping-center error path onto (form field, item index or None, item field)."""
    if path.startswith("parcels[0].items["):
        index = int(path[len("parcels[0].items[") : path.index("]", len("parcels[0].items["))])
        return "", index, path.rsplit(".", 1)[-1]
    if path.startswith("parcels[0]."):
        return path.rsplit(".", 1)[-1], None, ""
    return path.replace(".", "_"), None, ""
