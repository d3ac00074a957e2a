"""The merchant portal: thin views over the shipping center's intake and the centers' selectors."""

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
from apps.orders.selectors import order_get
from apps.portal.dashboard import merchant_dashboard
from apps.portal.forms import STRATEGY_LABELS, ItemFormSet, OrderForm, field_for_path, order_draft
from apps.resources.types import RoutingResult
from apps.scheduling.selectors import order_wait
from apps.shipping.exceptions import InvalidOrder, NoRouteAvailable, RouteNotEligible
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
    orders = filters.qs
    before = request.GET.get("before", "")
    if before.isascii() and before.isdigit():
        orders = orders.filter(id__lt=int(before))  # keyset paging: stable while new orders arrive
    page = list(orders[: PAGE_SIZE + 1])
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


def _show_errors(form: OrderForm, items: ItemFormSet, error: InvalidOrder) -> None:
    for path, problems in error.extra.get("fields", {}).items():
        field, index, item_field = field_for_path(path)
        for problem in problems:
            if index is not None and index < len(items.forms) and item_field in items.forms[index].fields:
                items.forms[index].add_error(item_field, problem)
            elif field in form.fields:
                form.add_error(field, problem)
            else:
                form.add_error(None, f"{path}: {problem}")


def _quote_rows(result: RoutingResult) -> dict:
    return {
        "strategy": STRATEGY_LABELS.get(result.strategy, result.strategy),
        "options": [
            {
                "value": f"{o.carrier_code}/{o.service_code}",
                "option": o,
                "window": (o.delivery_earliest, o.delivery_latest) if o.delivery_earliest else None,
            }
            for o in result.options
        ],
        "exclusions": result.exclusions,
    }


def _quote(request, form: OrderForm, items: ItemFormSet) -> dict | None:
    """The ranked routes for the order as filled in, or None (with the problems on the form)."""
    try:
        result = order_rates(
            merchant_id=request.merchant.pk,
            draft=order_draft(form, items),
            strategy=form.cleaned_data["strategy"] or None,
        )
    except InvalidOrder as exc:
        _show_errors(form, items, exc)
        return None
    return _quote_rows(result)


@merchant_required(permission="orders.create")
def order_create_view(request):
    """The new-order form. "Get quotes" re-renders it with the ranked routes to pick from (and
    the excluded ones with their reasons); "Submit order" creates the order on the picked route,
    or on the platform's choice."""
    form = OrderForm(request.POST or None, initial={"sender_country": "CN"})
    items = ItemFormSet(request.POST or None, prefix="items")
    quote = None
    if request.method == "POST" and form.is_valid() and items.is_valid():
        if request.POST.get("action") == "quote":
            quote = _quote(request, form, items)
            return render(
                request,
                "portal/order_form.html",
                {"form": form, "items": items, "quote": quote},
                status=200 if quote is not None else 400,
            )
        try:
            order = order_submit(
                merchant_id=request.merchant.pk,
                draft=order_draft(form, items),
                actor=f"user:{request.user.pk}",
                channel="portal",
                chosen_route=form.chosen_route(),
                strategy=form.cleaned_data["strategy"] or None,
            )
        except InvalidOrder as exc:
            _show_errors(form, items, exc)
        except NoRouteAvailable as exc:
            reasons = "; ".join(f"{e['carrier']}/{e['service']}: {e['reason']}" for e in exc.extra["exclusions"])
            form.add_error(None, f"{exc.message} {reasons}")
        except RouteNotEligible as exc:
            form.add_error("route", exc.message)
            quote = _quote(request, form, items)
        except DuplicateReference as exc:
            form.add_error("reference", exc.message)
        else:
            messages.success(request, _("Order %(number)s accepted.") % {"number": order.number})
            return redirect("portal:order-detail", order_id=order.number)
    return render(
        request,
        "portal/order_form.html",
        {"form": form, "items": items, "quote": quote},
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
