"""The merchant portal: thin views over the shipping center's intake and the centers' selectors."""

from dataclasses import replace
from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp import DEVICE_ID_SESSION_KEY

from apps.batches.services import print_record
from apps.common.exceptions import DomainError
from apps.common.forms import drawn_as_typed
from apps.common.text import refuse_control_characters
from apps.distribution.selectors import distribution_orders_for_order, shipping_documents_pdf
from apps.fulfillment.selectors import order_timeline
from apps.fulfillment.timeline_words import merchant_timeline
from apps.merchants.exceptions import NotAMerchantUser
from apps.merchants.permissions import PERMISSIONS, TWO_FACTOR_REQUIRED_ROLES, role_permissions
from apps.merchants.selectors import membership_for_user, merchant_role_for_user, totp_device_for_user
from apps.orders.exceptions import DuplicateReference, OrderNotFound
from apps.orders.exports import order_csv_lines
from apps.orders.filters import merchant_order_filter
from apps.orders.models import CANCELLABLE
from apps.orders.selectors import order_get, order_page
from apps.portal.dashboard import merchant_dashboard
from apps.portal.forms import (
    ITEM_LINES_ADDED,
    ITEM_LINES_MAX,
    PARCEL_FIELDS,
    STRATEGY_LABELS,
    ItemForm,
    ItemFormSet,
    OrderForm,
    ParcelFormSet,
    PlacedDraft,
    error_place,
    placed_draft,
)
from apps.resources.types import RoutingResult
from apps.resources.words import reason_text
from apps.scheduling.selectors import order_wait
from apps.shipping.exceptions import InvalidOrder, NoRouteAvailable, RouteNotEligible, SavedItemNotFound
from apps.shipping.limits import PARCELS_PER_ORDER_MAX
from apps.shipping.saved import ADDRESS_NAMES, product_list, sender_address_get, sender_address_list
from apps.shipping.services import order_cancel_request, order_rates, order_submit
from apps.warehouse.selectors import warehouse_order_list

PAGE_SIZE = 50


def _two_factor_step(request, membership) -> str | None:
    """Where a member must go before the portal: the code step when their login has a second
    factor and this session has not passed it, the set-up when their role requires one."""
    if request.session.get(DEVICE_ID_SESSION_KEY):
        return None
    if totp_device_for_user(user=request.user) is not None:
        return "portal:login-verify"
    if membership.role in TWO_FACTOR_REQUIRED_ROLES:
        return "portal:two-factor"
    return None


def merchant_required(view=None, *, permission: str | None = None, two_factor: bool = True):
    """A portal view for the members of a merchant, as `@merchant_required` (any member) or
    `@merchant_required(permission="orders.create")` (roles with that permission in
    apps/merchants/permissions.py; others get the 403 page).

    Sets `request.merchant`, `request.membership` and `request.portal_permissions` (templates
    see `portal_permissions`, to hide what the role cannot use). A member who has to pass or set
    up two-factor login is sent there first (`two_factor=False` only for the set-up pages)."""
    if permission is not None and permission not in PERMISSIONS:
        raise ImproperlyConfigured(f"unknown permission {permission!r}: add it to apps/merchants/permissions.py")

    def decorate(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            try:
                membership = membership_for_user(user=request.user)
            except NotAMerchantUser:
                return render(request, "portal/not_a_merchant.html", status=403)
            request.membership = membership
            request.merchant = membership.merchant
            request.portal_permissions = role_permissions(membership.role)
            step = _two_factor_step(request, membership)
            # The set-up pages (two_factor=False) skip only the set-up redirect: a login that has
            # an authenticator passes the code step before anything else.
            if step is not None and (two_factor or step == "portal:login-verify"):
                return redirect(f"{reverse(step)}?{urlencode({'next': request.get_full_path()})}")
            if step is not None:
                request.portal_permissions = frozenset()  # no menu of pages it would be sent back from
            if permission is not None and permission not in request.portal_permissions:
                raise PermissionDenied(
                    _("Your role (%(role)s) does not allow this: %(what)s.")
                    % {"role": membership.get_role_display(), "what": PERMISSIONS[permission]}
                )
            return view(request, *args, **kwargs)

        wrapper.portal_permission = permission
        return wrapper

    return decorate(view) if view is not None else decorate


def owner_required(refusal: str):
    """Only the merchant's owners may act; other members get 403 with `refusal`. Prefer
    `merchant_required(permission=...)`: what a role may do belongs in the permission map."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if merchant_role_for_user(user=request.user) != "owner":
                raise PermissionDenied(refusal)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def _refused_filters(request, filters):
    """The list page with each bad filter's error beside it: a filter that cannot be applied
    must not look like one that matched nothing."""
    return render(request, "portal/order_list.html", {"filters": filters, "orders": [], "query": ""}, status=400)


@merchant_required(permission="orders.view")
def dashboard_view(request):
    """The portal's home: the last seven days at a glance, and the orders that need action."""
    return render(
        request,
        "portal/dashboard.html",
        {"dashboard": merchant_dashboard(merchant_id=request.merchant.pk, now=timezone.now())},
    )


@merchant_required(permission="orders.view")
def order_list_view(request):
    filters = merchant_order_filter(request.GET, merchant_id=request.merchant.pk)
    if not filters.is_valid():
        return _refused_filters(request, filters)
    before = request.GET.get("before", "")
    page = order_page(filters.qs, before=int(before) if before.isascii() and before.isdigit() else None, size=PAGE_SIZE)
    # The list's filters again, for "every order matching the filters" in the batch form.
    filter_params = [(k, v) for k, values in request.GET.lists() if k != "before" for v in values]
    next_before = page[PAGE_SIZE - 1].id if len(page) > PAGE_SIZE else None
    query = request.GET.copy()
    query.pop("before", None)
    return render(
        request,
        "portal/order_list.html",
        {
            "filters": filters,
            "orders": page[:PAGE_SIZE],
            "next_before": next_before,
            "query": query.urlencode(),
            "filter_params": filter_params,
        },
    )


@merchant_required(permission="orders.view")
def order_export_view(request):
    filters = merchant_order_filter(request.GET, merchant_id=request.merchant.pk)
    if not filters.is_valid():
        return _refused_filters(request, filters)
    # For people, who open it in a spreadsheet: with the byte-order mark Excel reads it as UTF-8.
    lines = order_csv_lines(filters.qs, byte_order_mark=True)
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="orders.csv"'
    return response


def _show_errors(
    form: OrderForm,
    items: ItemFormSet,
    error: InvalidOrder,
    placed: PlacedDraft,
    parcels: ParcelFormSet | None = None,
) -> None:
    """Each problem the shipping center found beside the field it is about: an order field, a
    parcel's, an item line's; the top of the form when there is no such field."""
    for path, problems in error.extra.get("fields", {}).items():
        place = error_place(path, placed)
        for problem in problems:
            if place.line is not None and place.field in items.forms[place.line].fields:
                items.forms[place.line].add_error(place.field, problem)
            elif place.parcel is not None and parcels is not None and place.parcel < len(parcels.forms):
                parcels.forms[place.parcel].add_error(place.field, problem)
            elif place.field in form.fields:  # an order field, or a parcel's on a one-parcel form (stock)
                form.add_error(place.field, problem)
            else:
                form.add_error(None, f"{path}: {problem}")


# What each strategy's score weighs, as the quote table says it.
SCORE_WORDS = {
    "cheapest": gettext_lazy("Score: the cheapest price divided by this one (1.00 is the cheapest)."),
    "fastest": gettext_lazy(
        "Score: the quickest latest-delivery day count divided by this one's (1.00 is the fastest)."
    ),
    "on_time": gettext_lazy("Score: the carrier's share of deliveries on time (1.00 is always on time)."),
    "preferred": gettext_lazy(
        "Score: 1 for one of your preferred carriers, plus the cheapest price divided by this one."
    ),
}
QUOTES_SHOWN = 20


def _quote_rows(result: RoutingResult) -> dict:
    options = list(result.options[:QUOTES_SHOWN])
    cheapest = min((o.price for o in options), default=None)
    fastest = min(((o.transit_days_max, o.transit_days_min) for o in options), default=None)
    return {
        "strategy": STRATEGY_LABELS.get(result.strategy, result.strategy),
        "score_words": SCORE_WORDS.get(result.strategy, ""),
        "options": [
            {
                "value": f"{o.carrier_code}/{o.service_code}",
                "option": o,
                "window": (o.delivery_earliest, o.delivery_latest) if o.delivery_earliest else None,
                "cheapest": o.price == cheapest,
                "fastest": (o.transit_days_max, o.transit_days_min) == fastest,
            }
            for o in options
        ],
        "more": max(len(result.options) - QUOTES_SHOWN, 0),
        # The engine's reasons in the merchant's language (apps/resources/words.py).
        "exclusions": [replace(e, reason=reason_text(e.reason)) for e in result.exclusions],
    }


def _quote(request, form: OrderForm, items: ItemFormSet, parcels: ParcelFormSet) -> dict | None:
    """The ranked routes for the order as filled in, or None (with the problems on the form)."""
    placed = placed_draft(form, items, parcels.cleaned_data)
    try:
        result = order_rates(
            merchant_id=request.merchant.pk, draft=placed.draft, strategy=form.cleaned_data["strategy"] or None
        )
    except InvalidOrder as exc:
        _show_errors(form, items, exc, placed, parcels)
        return None
    return _quote_rows(result)


def _sender_initial(sender) -> dict:
    return {f"sender_{name}": getattr(sender, name) for name in ADDRESS_NAMES} | {"saved_sender": sender.pk}


def _again_initial(request, number: str) -> tuple[dict, list[dict], list[dict]]:
    """The form filled from an earlier order ("ship again"): the same sender, recipient,
    parcels and customs lines (each in its parcel); a new reference is for the merchant to give."""
    try:
        order = order_get(merchant_id=request.merchant.pk, order_id=number)
    except OrderNotFound:
        return {}, [], []
    initial = {
        f"{side}_{name}": getattr(order, f"{side}_{name}") for side in ("sender", "recipient") for name in ADDRESS_NAMES
    } | {"service_level": order.service_level}
    parcels, lines = [], []
    for number_in_order, parcel in enumerate(order.parcels.all(), start=1):
        parcels.append({name: getattr(parcel, name) for name in PARCEL_FIELDS})
        lines += [
            {name: getattr(item, name) for name in ("description", "sku", "quantity", "unit_value", "currency")}
            | {"hs_code": item.hs_code, "origin_country": item.origin_country, "parcel": number_in_order}
            for item in parcel.items.all()
        ]
    return initial, parcels, lines


def _with_more_forms(data, prefix: str, more: int, *, least: int, most: int):
    """The posted form with `more` forms (fewer when negative) in the formset `prefix`."""
    data = data.copy()
    try:
        count = int(data.get(f"{prefix}-TOTAL_FORMS", ""))
    except ValueError:
        return data  # the formset says what is wrong with its management form
    data[f"{prefix}-TOTAL_FORMS"] = str(max(least, min(most, count + more)))
    return data


# The buttons that post the form back to draw it again, changed, rather than to quote or submit:
# action -> (formset prefix, forms added, fewest, most).
FORM_CHANGES = {
    "add_parcel": ("parcels", 1, 1, PARCELS_PER_ORDER_MAX),
    "remove_parcel": ("parcels", -1, 1, PARCELS_PER_ORDER_MAX),
    "add_lines": ("items", ITEM_LINES_ADDED, 1, ITEM_LINES_MAX),
}


def _with_saved_sender(request, data):
    """The posted form with the sender fields of the saved sender address chosen ("Use")."""
    data = data.copy()
    try:
        sender = sender_address_get(merchant_id=request.merchant.pk, sender_id=int(data.get("saved_sender", "")))
    except (ValueError, SavedItemNotFound):
        return data
    for name in ADDRESS_NAMES:
        data[f"sender_{name}"] = getattr(sender, name)
    return data


PRODUCT_FIELDS = ("description", "sku", "unit_value", "currency", "hs_code", "origin_country")
ITEM_DEFAULTS = {name: ItemForm.base_fields[name].initial for name in ("currency", "origin_country")}


def _with_products(data, products: dict):
    """The posted form with each line's blank fields filled from the product chosen on it, so
    that the merchant sees what goes to customs (what was typed stays)."""
    data = data.copy()
    for key in [k for k in data if k.startswith("items-") and k.endswith("-product")]:
        chosen = data.get(key, "")
        product = products.get(int(chosen)) if chosen.isascii() and chosen.isdigit() and len(chosen) < 19 else None
        if product is None:
            continue
        prefix = key[: -len("product")]
        for name in PRODUCT_FIELDS:
            typed = data.get(prefix + name, "").strip()
            if not typed or typed == ITEM_DEFAULTS.get(name):  # blank, or the form's own default
                data[prefix + name] = str(getattr(product, name))
        if not data.get(prefix + "quantity", "").strip():
            data[prefix + "quantity"] = "1"
    return data


@merchant_required(permission="orders.create")
def order_create_view(request):
    """The new-order form. It starts with the merchant's default sender address (another saved
    one is chosen with "Use"), or, from an earlier order's "Ship again", with that order's
    addresses, parcel and lines. A customs line is typed or filled from a saved product.
    "Get quotes" shows the ranked routes beside the form (the cheapest and the fastest marked;
    with JavaScript only that part is redrawn, by htmx); "Submit order" creates the order on the
    picked route, or on the platform's choice."""
    merchant_id = request.merchant.pk
    products = {p.pk: p for p in product_list(merchant_id=merchant_id)}
    senders = list(sender_address_list(merchant_id=merchant_id))
    data = request.POST or None
    action = request.POST.get("action")
    if data is not None and action == "sender":
        data = _with_saved_sender(request, data)
    if data is not None and action in FORM_CHANGES:
        prefix, more, least, most = FORM_CHANGES[action]
        data = _with_more_forms(data, prefix, more, least=least, most=most)
    if data is not None:
        data = _with_products(data, products)
    initial, parcel_sizes, lines = {"sender_country": "CN"}, [], []
    default = next((s for s in senders if s.is_default), None)
    if default is not None:
        initial |= _sender_initial(default)
    if request.method == "GET" and request.GET.get("again"):
        again, parcel_sizes, lines = _again_initial(request, request.GET["again"])
        initial |= again
    form = OrderForm(data, initial=initial, senders=senders)
    parcels = ParcelFormSet(data, prefix="parcels", initial=parcel_sizes or None)
    items = ItemFormSet(
        data, prefix="items", products=products, initial=lines or None, parcel_count=parcels.total_form_count()
    )
    quote = None
    context = {"form": form, "parcels": parcels, "items": items, "senders": senders, "products": products}
    if action in ("sender", "product", *FORM_CHANGES):  # the form again, filled in (htmx takes the part it redraws)
        drawn_as_typed(form, parcels, items)
        return render(request, "portal/order_form.html", context)
    if request.method == "POST" and form.is_valid() and parcels.is_valid() and items.is_valid():
        if action == "quote":
            quote = _quote(request, form, items, parcels)
            template = "portal/_quotes.html" if request.headers.get("HX-Request") else "portal/order_form.html"
            return render(request, template, context | {"quote": quote}, status=200 if quote is not None else 400)
        placed = placed_draft(form, items, parcels.cleaned_data)
        try:
            order = order_submit(
                merchant_id=merchant_id,
                draft=placed.draft,
                actor=f"user:{request.user.pk}",
                channel="portal",
                chosen_route=form.chosen_route(),
                strategy=form.cleaned_data["strategy"] or None,
            )
        except InvalidOrder as exc:
            _show_errors(form, items, exc, placed, parcels)
        except NoRouteAvailable as exc:
            reasons = "; ".join(
                f"{e['carrier']}/{e['service']}: {reason_text(e['reason'])}" for e in exc.extra["exclusions"]
            )
            form.add_error(None, f"{exc.message} {reasons}")
        except RouteNotEligible as exc:
            form.add_error("route", exc.message)
            quote = _quote(request, form, items, parcels)
        except DuplicateReference as exc:
            form.add_error("reference", exc.message)
        else:
            messages.success(request, _("Order %(number)s accepted.") % {"number": order.number})
            return redirect("portal:order-detail", order_id=order.number)
    if request.headers.get("HX-Request") and action == "quote":
        # The form has errors: the whole page, so that each one shows beside its field.
        response = render(request, "portal/order_form.html", context | {"quote": quote}, status=400)
        response["HX-Retarget"], response["HX-Reswap"] = "body", "outerHTML"
        return response
    return render(
        request,
        "portal/order_form.html",
        context | {"quote": quote},
        status=400 if request.method == "POST" else 200,
    )


def _order_or_404(request, order_id):
    try:
        return order_get(merchant_id=request.merchant.pk, order_id=order_id)
    except OrderNotFound as exc:
        raise Http404(str(exc)) from exc


@merchant_required(permission="orders.view")
def order_detail_view(request, order_id):
    order = _order_or_404(request, order_id)
    has_label = any(d.tracking_number for d in distribution_orders_for_order(order_id=order.id))
    return render(
        request,
        "portal/order_detail.html",
        {
            "order": order,
            "timeline": merchant_timeline(order_timeline(order=order)),
            "has_label": has_label,
            "can_cancel": not order.is_archived
            and order.state in CANCELLABLE
            and "orders.cancel" in request.portal_permissions,
            "wait": None if order.is_archived else order_wait(order_id=order.id),
            "warehouse_orders": [] if order.is_archived else warehouse_order_list(order_id=order.id),
            "wait_words": WAIT_WORDS,
        },
    )


@merchant_required(permission="orders.view")
def order_label_status_view(request, order_id):
    """The order page's tracking number and label link, redrawn by htmx until the label is in."""
    order = _order_or_404(request, order_id)
    has_label = any(d.tracking_number for d in distribution_orders_for_order(order_id=order.id))
    return render(request, "portal/_label.html", {"order": order, "has_label": has_label})


# What holds a waiting booking, in a merchant's words (scheduling.selectors.OrderWait.held_by).
WAIT_WORDS = {
    "queue": gettext_lazy("other bookings for this carrier go first"),
    "rate": gettext_lazy("the carrier's rate limit"),
    "in_flight": gettext_lazy("the carrier is busy with as many bookings as it takes at once"),
    "breaker": gettext_lazy("the carrier is not answering; booking resumes by itself when it does"),
    "paused": gettext_lazy("our operations team paused bookings with this carrier"),
    "held": gettext_lazy("our operations team is holding this order; it keeps its place in the queue"),
    "redis": gettext_lazy("a short outage on our side; booking resumes by itself"),
    "retry": gettext_lazy("the last try failed and is retried shortly"),
    "released": gettext_lazy("the booking is being made now"),
}


class CancelForm(forms.Form):
    reason = forms.CharField(
        max_length=300, required=False, label=gettext_lazy("Reason (optional)"), validators=[refuse_control_characters]
    )
    # The version the merchant confirmed: if the order moved on meanwhile, the cancel is refused.
    version = forms.IntegerField(min_value=1, max_value=2**31 - 1, widget=forms.HiddenInput)


@merchant_required(permission="orders.cancel")
def order_cancel_view(request, order_id):
    """A confirmation page (GET) and the cancel itself (POST): plain forms, no JavaScript. The
    order center decides; a refusal (handed to the carrier already, changed meanwhile) comes back
    as a message on the order's page."""
    order = _order_or_404(request, order_id)
    form = CancelForm(request.POST or None, initial={"version": order.version})
    if request.method == "POST" and form.is_valid():
        try:
            outcome = order_cancel_request(
                merchant_id=request.merchant.pk,
                order_id=order.id,
                actor=f"user:{request.user.pk}",
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data["version"],
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            if outcome.requested:
                messages.success(
                    request,
                    _(
                        "Cancel of order %(number)s asked of the warehouse: it is cancelled once the "
                        "warehouse confirms (it refuses once picking has started)."
                    )
                    % {"number": order.number},
                )
            else:
                messages.success(request, _("Order %(number)s is cancelled.") % {"number": order.number})
        return redirect("portal:order-detail", order_id=order.number)
    return render(
        request,
        "portal/order_cancel.html",
        {"order": order, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@merchant_required(permission="orders.view")
def order_label_view(request, order_id):
    order = _order_or_404(request, order_id)
    documents = shipping_documents_pdf(order_id=order.id)
    if documents is None:
        raise Http404(_("No label yet."))
    # Every print is logged (who, when); reprints are free.
    print_record(merchant_id=request.merchant.pk, user=request.user, order_id=order.id, paper="4x6", labels=1)
    response = HttpResponse(documents, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{order.number}.pdf"'
    return response
