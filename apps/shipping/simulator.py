"""The route simulator (admin, staff only): enter an order's shape, see how it would be routed.

It answers with the same quote intake routes by (`selectors.order_quote`): every eligible option
ranked by the strategy, with its price breakdown, and every excluded one with the reason. Nothing
is recorded. Mounted at /admin/route-simulator/ by `logistics.urls` through `admin.site.admin_view`.
"""

from dataclasses import replace
from decimal import Decimal

from django import forms
from django.contrib import admin
from django.template.response import TemplateResponse

from apps.merchants.selectors import merchant_list
from apps.orders.types import AddressDraft, ItemDraft, OrderDraft, ParcelDraft
from apps.resources.types import STRATEGIES, RoutingResult
from apps.shipping.selectors import order_quote

# Contents an order may declare, as the items that carry them: routing reads content categories
# from items' HS codes and descriptions (batteries, liquids, ... may be refused by a service).
CONTENTS = {
    "batteries": ("Lithium-ion batteries", "850760"),
    "liquids": ("Liquid (perfume)", "330300"),
    "aerosols": ("Aerosol spray", "330730"),
    "magnets": ("Magnets", "850519"),
    "food": ("Food (coffee)", "090111"),
    "prohibited": ("Fireworks", "360410"),
}
GENERAL_GOODS = ("General goods", "610910")


class SimulatorForm(forms.Form):
    origin_country = forms.CharField(min_length=2, max_length=2, initial="CN")
    destination_country = forms.CharField(min_length=2, max_length=2, initial="DE")
    destination_postcode = forms.CharField(max_length=20, initial="10115")
    parcels = forms.IntegerField(min_value=1, max_value=50, initial=1, help_text="Identical parcels of this size.")
    weight_g = forms.IntegerField(min_value=1, max_value=1_000_000, initial=1200, label="Weight (g)")
    length_mm = forms.IntegerField(min_value=1, max_value=10_000, initial=300, label="Length (mm)")
    width_mm = forms.IntegerField(min_value=1, max_value=10_000, initial=200, label="Width (mm)")
    height_mm = forms.IntegerField(min_value=1, max_value=10_000, initial=100, label="Height (mm)")
    declared_value = forms.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal("0.01"), initial=Decimal("25.00")
    )
    currency = forms.CharField(min_length=3, max_length=3, initial="USD")
    contents = forms.MultipleChoiceField(
        choices=[(c, c.capitalize()) for c in CONTENTS], required=False, widget=forms.CheckboxSelectMultiple
    )
    service_level = forms.ChoiceField(
        choices=[("standard", "Standard"), ("express", "Express"), ("economy", "Economy"), ("", "Any")],
        required=False,
    )
    strategy = forms.ChoiceField(
        choices=[("", "The merchant's default (else cheapest)"), *((s, s.replace("_", " ")) for s in STRATEGIES)],
        required=False,
    )
    merchant = forms.ModelChoiceField(
        queryset=merchant_list(),
        required=False,
        empty_label="No merchant (no preferences)",
        help_text="Whose preferred and blocked carriers apply.",
    )

    def draft(self) -> OrderDraft:
        """The order as intake would hand it to routing: one item per declared content category
        (or general goods), the declared value split over them."""
        data = self.cleaned_data
        origin, destination = data["origin_country"].upper(), data["destination_country"].upper()
        kinds = [CONTENTS[c] for c in data["contents"]] or [GENERAL_GOODS]
        value, count = data["declared_value"], len(kinds)
        share = (value / count).quantize(Decimal("0.01"))
        values = [share] * (count - 1) + [value - share * (count - 1)]
        items = tuple(
            ItemDraft(
                description=description,
                quantity=1,
                unit_value=max(amount, Decimal("0.01")),
                currency=data["currency"].upper(),
                hs_code=hs_code,
                origin_country=origin,
            )
            for (description, hs_code), amount in zip(kinds, values, strict=True)
        )
        parcel = ParcelDraft(
            weight_g=data["weight_g"],
            length_mm=data["length_mm"],
            width_mm=data["width_mm"],
            height_mm=data["height_mm"],
        )
        parcels = (replace(parcel, items=items),) + (parcel,) * (data["parcels"] - 1)
        return OrderDraft(
            sender=AddressDraft(name="Route simulator", line1="-", city="-", postal_code="", country=origin),
            recipient=AddressDraft(
                name="Route simulator",
                line1="-",
                city="-",
                postal_code=data["destination_postcode"].strip().upper(),
                country=destination,
            ),
            parcels=parcels,
            service_level=data["service_level"],
        )


def simulate(form: SimulatorForm) -> RoutingResult:
    merchant = form.cleaned_data["merchant"]
    draft = form.draft()
    return order_quote(
        draft=draft,
        merchant_id=merchant.pk if merchant else None,
        strategy=form.cleaned_data["strategy"] or None,
        any_service_level=not draft.service_level,
    )


def route_simulator_view(request):
    form = SimulatorForm(request.POST or None)
    result = simulate(form) if request.method == "POST" and form.is_valid() else None
    context = {
        **admin.site.each_context(request),
        "title": "Route simulator",
        "form": form,
        "result": result,
    }
    return TemplateResponse(request, "admin/shipping/route_simulator.html", context)
