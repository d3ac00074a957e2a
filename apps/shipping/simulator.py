"""The route simulator (admin, staff only): enter an order's shape, see how it would be routed.

It answers with the same quote intake routes by (`selectors.order_quote`): every eligible option
ranked by the strategy, with its price breakdown, and every excluded one with the reason. Shipped
from stock (a warehouse, or any), it is given the merchant's available stock and routed by the
same `stock_routing.stock_plan` intake uses: the warehouse (or the split across warehouses) and the
refusals are the ones intake would give. Nothing is recorded. Mounted at /admin/route-simulator/
by `logistics.urls` through `admin.site.admin_view`.
"""

import re
from dataclasses import dataclass, replace
from decimal import Decimal

from django import forms
from django.contrib import admin
from django.template.response import TemplateResponse

from apps.common.exceptions import DomainError
from apps.merchants.selectors import merchant_list
from apps.orders.types import AddressDraft, ItemDraft, OrderDraft, ParcelDraft
from apps.resources.selectors import warehouse_codes
from apps.resources.types import STRATEGIES, RoutingResult
from apps.shipping.selectors import order_quote
from apps.shipping.stock_routing import ANY_WAREHOUSE, StockPlan, stock_for_routing, stock_plan

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
QUANTITY = re.compile(r"[0-9]{1,6}")


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
        help_text="Whose preferred and blocked carriers apply, and whose stock ships.",
    )
    ship_from = forms.ChoiceField(
        choices=[],
        required=False,
        help_text="From the merchant's stock: a warehouse, or any (split across warehouses when none holds it all).",
    )
    skus = forms.CharField(
        label="SKUs",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Shipping from stock: one SKU=quantity per line (or comma separated).",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ship_from"].choices = [
            ("", "Direct from the sender"),
            (ANY_WAREHOUSE, "Any warehouse holding the stock"),
            *((code, code) for code in warehouse_codes()),
        ]

    def clean_skus(self) -> tuple[tuple[str, int], ...]:
        lines, problems = [], []
        for raw in self.cleaned_data["skus"].replace(",", "\n").splitlines():
            if not raw.strip():
                continue
            sku, _, quantity = raw.partition("=")
            sku, quantity = sku.strip(), quantity.strip()
            if not sku or len(sku) > 64 or not QUANTITY.fullmatch(quantity) or not 1 <= int(quantity) <= 100_000:
                problems.append(f"{raw.strip()[:70]!r}: write SKU=quantity (1 to 100000).")
            else:
                lines.append((sku, int(quantity)))
        if problems:
            raise forms.ValidationError(problems)
        return tuple(lines)

    def clean(self):
        data = super().clean()
        if data.get("ship_from"):
            if not data.get("merchant"):
                self.add_error("merchant", "Choose whose stock ships.")
            if not data.get("skus") and "skus" not in self.errors:
                self.add_error("skus", "Name the SKUs to ship from stock.")
        return data

    def draft(self) -> OrderDraft:
        """The order as intake would hand it to routing: one item per declared content category
        (or general goods), the declared value split over them."""
        data = self.cleaned_data
        origin, destination = data["origin_country"].upper(), data["destination_country"].upper()
        kinds = [CONTENTS[c] for c in data["contents"]] or [GENERAL_GOODS]
        skus = data.get("skus") or ()
        if data.get("ship_from") and skus:
            # From stock: one item per SKU (the first content's kind), the value over every unit.
            units = sum(quantity for _, quantity in skus)
            unit_value = max((data["declared_value"] / units).quantize(Decimal("0.01")), Decimal("0.01"))
            items = tuple(
                ItemDraft(
                    description=f"{kinds[0][0]} ({sku})",
                    sku=sku,
                    quantity=quantity,
                    unit_value=unit_value,
                    currency=data["currency"].upper(),
                    hs_code=kinds[0][1],
                    origin_country=origin,
                )
                for sku, quantity in skus
            )
        else:
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


@dataclass(frozen=True)
class Simulation:
    """The quote, and shipped from stock, the plan intake would take (or why it would refuse)."""

    result: RoutingResult | None
    plan: StockPlan | None = None
    refusal: str = ""


def simulate(form: SimulatorForm) -> Simulation:
    merchant = form.cleaned_data["merchant"]
    draft = form.draft()
    strategy = form.cleaned_data["strategy"] or None
    ship_from = form.cleaned_data["ship_from"]
    if ship_from:
        stock = stock_for_routing(merchant_id=merchant.pk, skus=dict(form.cleaned_data["skus"]), warehouse=ship_from)
        quote = order_quote(draft=draft, merchant_id=merchant.pk, strategy=strategy, stock=stock)
        try:
            plan = stock_plan(draft=draft, merchant_id=merchant.pk, stock=stock, strategy=strategy, warehouse=ship_from)
        except DomainError as refusal:
            return Simulation(result=quote, refusal=f"{refusal.code}: {refusal.message}")
        return Simulation(result=plan.quote, plan=plan)
    return Simulation(
        result=order_quote(
            draft=draft,
            merchant_id=merchant.pk if merchant else None,
            strategy=strategy,
            any_service_level=not draft.service_level,
        )
    )


def route_simulator_view(request):
    form = SimulatorForm(request.POST or None)
    simulation = simulate(form) if request.method == "POST" and form.is_valid() else None
    context = {
        **admin.site.each_context(request),
        "title": "Route simulator",
        "form": form,
        "result": simulation.result if simulation else None,
        "plan": simulation.plan if simulation else None,
        "refusal": simulation.refusal if simulation else "",
    }
    return TemplateResponse(request, "admin/shipping/route_simulator.html", context)
