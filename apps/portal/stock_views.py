"""The warehouse shipping pages: stock per warehouse and SKU, orders shipped from stock through
the shipping center's intake, and inbound shipments (ASNs) with their receipts and
discrepancies. Thin views over the warehouse center's selectors and services."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from apps.orders.exceptions import DuplicateReference
from apps.portal.forms import (
    AsnForm,
    AsnLineFormSet,
    StockFilterForm,
    StockLineFormSet,
    StockOrderForm,
    placed_draft,
    stock_lines_check,
)
from apps.portal.views import _show_errors, merchant_required
from apps.resources.selectors import warehouse_list
from apps.shipping.exceptions import InvalidOrder, NoRouteAvailable, RouteNotEligible
from apps.shipping.saved import ADDRESS_NAMES, sender_address_list
from apps.shipping.services import order_submit
from apps.warehouse.exceptions import AsnNotFound, InvalidAsn, OutOfStock
from apps.warehouse.selectors import asn_get, asn_list, stock_list, stock_positions
from apps.warehouse.services import asn_create

# A page a merchant can read; more rows are found with the filters (or the API's paged list).
STOCK_ROWS_SHOWN = 500
# Up to this many SKUs are offered in a list on the order form; with more, the SKU is typed.
SKUS_OFFERED_MAX = 300


def _warehouse_choices(codes=None) -> list[tuple[str, str]]:
    return [
        (w.code, f"{w.name} ({w.code}, {w.city} {w.country})")
        for w in warehouse_list()
        if codes is None or w.code in codes
    ]


@merchant_required(permission="stock.view")
def stock_view(request):
    """Stock per warehouse and SKU: available to order, reserved by orders, inbound in open ASNs."""
    filters = StockFilterForm(request.GET, warehouses=_warehouse_choices())
    if not filters.is_valid():
        return render(request, "portal/stock.html", {"filters": filters, "positions": []}, status=400)
    positions, total = stock_positions(
        merchant_id=request.merchant.pk,
        warehouse_code=filters.cleaned_data["warehouse"],
        sku=filters.cleaned_data["sku"].strip(),
        limit=STOCK_ROWS_SHOWN,
    )
    return render(
        request, "portal/stock.html", {"filters": filters, "positions": positions, "more": total - len(positions)}
    )


def _available_by_warehouse(merchant_id: int) -> dict[str, dict[str, int]]:
    available: dict[str, dict[str, int]] = {}
    for row in stock_list(merchant_id=merchant_id):
        if row.available > 0:
            available.setdefault(row.warehouse_code, {})[row.sku] = row.available
    return available


def _return_address(request) -> dict:
    """The merchant's default saved sender address, else its name to start with."""
    default = next((s for s in sender_address_list(merchant_id=request.merchant.pk) if s.is_default), None)
    if default is None:
        return {"sender_name": request.merchant.name}
    return {f"sender_{name}": getattr(default, name) for name in ADDRESS_NAMES}


@merchant_required(permission="stock.manage")
def stock_order_view(request):
    """A new order from stock. Only warehouses and SKUs with available units are offered; the
    quantities are checked against what is available at the chosen warehouse, and intake's
    reservation has the last word (units taken meanwhile come back as errors on their lines)."""
    available = _available_by_warehouse(request.merchant.pk)
    warehouses = _warehouse_choices(set(available))
    if not warehouses:
        return render(request, "portal/stock_order_form.html", {"no_stock": True})
    # The SKUs offered are the chosen warehouse's (the one posted, else the one asked for).
    chosen = request.POST.get("warehouse") or request.GET.get("warehouse") or ""
    if chosen not in available:
        chosen = warehouses[0][0]
    skus = sorted(available[chosen])
    form = StockOrderForm(
        request.POST or None,
        warehouses=warehouses,
        initial=_return_address(request) | {"warehouse": chosen},
    )
    offered = skus if len(skus) <= SKUS_OFFERED_MAX else None
    lines = StockLineFormSet(request.POST or None, prefix="lines", form_kwargs={"skus": offered})
    context = {
        "form": form,
        "items": lines,
        "warehouses": warehouses,
        "chosen": chosen,
        "available": [(sku, available[chosen][sku]) for sku in skus[:SKUS_OFFERED_MAX]],
        "more": len(skus) - SKUS_OFFERED_MAX,
    }
    if request.method == "POST" and form.is_valid() and lines.is_valid():
        code = form.cleaned_data["warehouse"]
        if stock_lines_check(lines, available.get(code, {})):
            placed = placed_draft(form, lines, form.parcels())
            try:
                order = order_submit(
                    merchant_id=request.merchant.pk,
                    draft=placed.draft,
                    actor=f"user:{request.user.pk}",
                    channel="portal",
                    strategy=form.cleaned_data["strategy"] or None,
                    warehouse=code,
                )
            except InvalidOrder as exc:
                _show_errors(form, lines, exc, placed)
            except OutOfStock as exc:
                _show_short(lines, exc.extra.get("short", {}))
                form.add_error(None, exc.message)
            except (NoRouteAvailable, RouteNotEligible) as exc:
                form.add_error(None, exc.message)
            except DuplicateReference as exc:
                form.add_error("reference", exc.message)
            else:
                messages.success(
                    request,
                    _("Order %(number)s accepted; %(warehouse)s is picking it from your stock.")
                    % {"number": order.number, "warehouse": code},
                )
                return redirect("portal:order-detail", order_id=order.number)
    return render(request, "portal/stock_order_form.html", context, status=400 if request.method == "POST" else 200)


def _show_short(lines: StockLineFormSet, short: dict[str, int]) -> None:
    for form in lines.forms:
        sku = (form.cleaned_data or {}).get("sku")
        if sku in short:
            form.add_error(
                "quantity", _("%(units)s more than available of %(sku)s.") % {"units": short[sku], "sku": sku}
            )


@merchant_required(permission="stock.view")
def asn_list_view(request):
    asns = asn_list(merchant_id=request.merchant.pk).prefetch_related("lines", "discrepancies")[:200]
    return render(request, "portal/asn_list.html", {"asns": asns})


@merchant_required(permission="stock.manage")
def asn_create_view(request):
    """Announce an inbound shipment: the warehouse it goes to and its lines (SKU, units)."""
    form = AsnForm(request.POST or None, warehouses=_warehouse_choices())
    lines = AsnLineFormSet(request.POST or None, prefix="lines")
    if request.method == "POST" and form.is_valid() and lines.is_valid():
        try:
            asn = asn_create(
                merchant_id=request.merchant.pk,
                warehouse_code=form.cleaned_data["warehouse"],
                lines=[(line["sku"], line["quantity"]) for line in lines.cleaned_data if line],
                expected_at=form.cleaned_data["expected_at"],
            )
        except InvalidAsn as exc:
            form.add_error(None, f"{exc.message} {'; '.join(exc.extra.get('problems', []))}")
        else:
            messages.success(
                request, _("Inbound shipment %(reference)s recorded.") % {"reference": asn.external_reference}
            )
            return redirect("portal:asn-detail", asn_id=asn.pk)
    return render(
        request,
        "portal/asn_form.html",
        {"form": form, "lines": lines},
        status=400 if request.method == "POST" else 200,
    )


@merchant_required(permission="stock.view")
def asn_detail_view(request, asn_id):
    try:
        asn = asn_get(asn_id=asn_id, merchant_id=request.merchant.pk)
    except AsnNotFound as exc:
        raise Http404(str(exc)) from exc
    return render(request, "portal/asn_detail.html", {"asn": asn})
