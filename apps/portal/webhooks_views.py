"""Webhooks in the portal: register endpoints, enable or disable them, rotate their secrets, and
follow recent deliveries with their attempts (and send one again).

Roles with "webhooks.view" see the endpoints (never their secrets) and the deliveries; those with
"webhooks.manage" (apps/merchants/permissions.py) register endpoints, switch them, rotate secrets
and ask for redeliveries. A secret is shown once, in the answer to the POST that made it.
"""

import json
from datetime import timedelta
from functools import wraps

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from apps.common.exceptions import NotFound
from apps.common.text import refuse_control_characters
from apps.portal.views import merchant_required
from apps.webhooks.catalog import EVENT_TYPE_HELP, EVENT_TYPES
from apps.webhooks.exceptions import UnsafeWebhookUrl, WebhookEndpointDisabled
from apps.webhooks.selectors import deliveries_with_attempts, endpoint_get, endpoint_list
from apps.webhooks.services import delivery_redeliver, endpoint_create, endpoint_rotate_secret, endpoint_update
from apps.webhooks.signing import masked

OVERLAPS = [
    (24, gettext_lazy("24 hours")),
    (1, gettext_lazy("1 hour")),
    (72, gettext_lazy("3 days")),
    (168, gettext_lazy("7 days")),
    (0, gettext_lazy("none: the old secret stops now")),
]


class EndpointForm(forms.Form):
    url = forms.URLField(
        max_length=2000,
        assume_scheme="https",
        label=gettext_lazy("URL"),
        help_text=gettext_lazy("Where we POST the events (http or https)."),
        validators=[refuse_control_characters],
    )
    description = forms.CharField(
        max_length=200, required=False, label=gettext_lazy("Description"), validators=[refuse_control_characters]
    )
    event_types = forms.MultipleChoiceField(
        choices=[(t, format_lazy("{} ({})", t, EVENT_TYPE_HELP[t])) for t in EVENT_TYPES],
        label=gettext_lazy("Event types"),
        widget=forms.CheckboxSelectMultiple,
        initial=list(EVENT_TYPES),
    )


class RotateForm(forms.Form):
    overlap_hours = forms.TypedChoiceField(
        choices=OVERLAPS, coerce=int, initial=24, label=gettext_lazy("Old secret keeps signing for")
    )


def _page(request, *, form: EndpointForm | None = None, status: int = 200):
    merchant_id = request.merchant.pk
    deliveries = [(d, json.loads(d.body)) for d in deliveries_with_attempts(merchant_id=merchant_id)]
    return render(
        request,
        "portal/webhooks.html",
        {
            "endpoints": [(e, masked(e.secret)) for e in endpoint_list(merchant_id=merchant_id)],
            "deliveries": deliveries,
            "form": form or EndpointForm(),
            "rotate_form": RotateForm(),
            "can_manage": "webhooks.manage" in request.portal_permissions,
        },
        status=status,
    )


def _show_secret(request, endpoint, secret: str, *, rotated: bool):
    response = render(
        request, "portal/webhook_secret.html", {"endpoint": endpoint, "secret": secret, "rotated": rotated}, status=201
    )
    response["Cache-Control"] = "no-store"
    return response


def _not_found_as_404(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.message) from exc

    return wrapper


@merchant_required(permission="webhooks.view")
def webhook_list_view(request):
    return _page(request)


@require_POST
@merchant_required(permission="webhooks.manage")
def webhook_create_view(request):
    form = EndpointForm(request.POST)
    if form.is_valid():
        try:
            endpoint, secret = endpoint_create(merchant_id=request.merchant.pk, **form.cleaned_data)
        except UnsafeWebhookUrl as exc:
            form.add_error("url", exc.message)
        else:
            return _show_secret(request, endpoint, secret, rotated=False)
    return _page(request, form=form, status=400)


@require_POST
@merchant_required(permission="webhooks.manage")
@_not_found_as_404
def webhook_toggle_view(request, endpoint_id: int):
    endpoint = endpoint_get(merchant_id=request.merchant.pk, endpoint_id=endpoint_id)
    endpoint = endpoint_update(merchant_id=request.merchant.pk, endpoint_id=endpoint.pk, enabled=not endpoint.enabled)
    message = _("%(url)s is enabled.") if endpoint.enabled else _("%(url)s is disabled.")
    messages.success(request, message % {"url": endpoint.url})
    return redirect("portal:webhooks")


@require_POST
@merchant_required(permission="webhooks.manage")
@_not_found_as_404
def webhook_rotate_view(request, endpoint_id: int):
    form = RotateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose how long the old secret keeps signing."))
        return redirect("portal:webhooks")
    endpoint, secret = endpoint_rotate_secret(
        merchant_id=request.merchant.pk,
        endpoint_id=endpoint_id,
        overlap=timedelta(hours=form.cleaned_data["overlap_hours"]),
    )
    return _show_secret(request, endpoint, secret, rotated=True)


@require_POST
@merchant_required(permission="webhooks.manage")
@_not_found_as_404
def webhook_redeliver_view(request, delivery_id: int):
    try:
        delivery = delivery_redeliver(merchant_id=request.merchant.pk, delivery_id=delivery_id)
    except WebhookEndpointDisabled as exc:
        messages.error(request, exc.message)
        return redirect("portal:webhooks")
    messages.success(
        request,
        _("%(event)s %(id)s will be sent again within seconds.")
        % {"event": delivery.event_type, "id": delivery.event_id},
    )
    return redirect("portal:webhooks")
