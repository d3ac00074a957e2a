"""API keys in the portal: list, issue, rotate and revoke the merchant's ERP keys.

Roles with "api_keys.view" see the keys (never their secrets); those with "api_keys.manage"
(apps/merchants/permissions.py) issue, rotate and revoke. A new
secret is shown once, in the answer to the POST that made it, and is never stored in plain.
"""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from apps.common.exceptions import DomainError
from apps.common.text import refuse_control_characters
from apps.merchants.exceptions import ApiKeyNotFound
from apps.merchants.selectors import api_key_get, api_key_list
from apps.merchants.services import ALL_SCOPES, KEY_PREFIX, api_key_issue, api_key_revoke, api_key_rotate
from apps.portal.views import merchant_required

SCOPE_HELP = {
    "orders:read": gettext_lazy("read orders, labels and exports"),
    "orders:write": gettext_lazy("create and cancel orders"),
    "rates": gettext_lazy("ask for rates"),
    "tracking": gettext_lazy("read the orders' event timelines"),
    "webhooks": gettext_lazy("manage webhook endpoints"),
}
OVERLAPS = [
    (1, gettext_lazy("1 hour")),
    (24, gettext_lazy("24 hours")),
    (72, gettext_lazy("3 days")),
    (168, gettext_lazy("7 days")),
    (0, gettext_lazy("none: the old key stops now")),
]
STATUS_LABELS = {
    "active": pgettext_lazy("API key", "active"),
    "revoked": pgettext_lazy("API key", "revoked"),
    "expired": pgettext_lazy("API key", "expired"),
}


class KeyForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        label=gettext_lazy("Name"),
        help_text=gettext_lazy("Which system uses it, e.g. “SAP production”."),
        validators=[refuse_control_characters],
    )
    scopes = forms.MultipleChoiceField(
        choices=[(s, format_lazy("{} ({})", s, SCOPE_HELP.get(s, ""))) for s in ALL_SCOPES],
        label=gettext_lazy("Scopes"),
        widget=forms.CheckboxSelectMultiple,
        initial=list(ALL_SCOPES),
    )
    expires_in_days = forms.IntegerField(
        min_value=1,
        max_value=3650,
        required=False,
        label=gettext_lazy("Expires in days"),
        help_text=gettext_lazy("Leave empty for a key that does not expire."),
    )


class RotateForm(forms.Form):
    overlap_hours = forms.TypedChoiceField(
        choices=OVERLAPS, coerce=int, initial=24, label=gettext_lazy("Old key keeps working for")
    )


def _key_or_404(request, key_id: int):
    try:
        return api_key_get(merchant_id=request.merchant.pk, key_id=key_id)
    except ApiKeyNotFound as exc:
        raise Http404(_("No such key.")) from exc


def _status(key, now) -> str:
    if key.revoked_at is not None:
        return "revoked"
    if key.expires_at is not None and key.expires_at <= now:
        return "expired"
    return "active"


def _keys(request, now) -> list[tuple]:
    """Each key with its status and the status in the reader's language."""
    keys = [(key, _status(key, now)) for key in api_key_list(merchant_id=request.merchant.pk)]
    return [(key, status, STATUS_LABELS[status]) for key, status in keys]


def _show_secret(request, key, plaintext: str, *, replaced=None):
    response = render(
        request, "portal/keys_secret.html", {"key": key, "plaintext": plaintext, "replaced": replaced}, status=201
    )
    response["Cache-Control"] = "no-store"
    return response


@merchant_required(permission="api_keys.view")
def key_list_view(request):
    now = timezone.now()
    keys = _keys(request, now)
    return render(
        request,
        "portal/keys.html",
        {
            "keys": keys,
            "form": KeyForm(),
            "rotate_form": RotateForm(),
            "prefix": KEY_PREFIX,
            "can_manage": "api_keys.manage" in request.portal_permissions,
        },
    )


@require_POST
@merchant_required(permission="api_keys.manage")
def key_create_view(request):
    form = KeyForm(request.POST)
    if not form.is_valid():
        now = timezone.now()
        keys = _keys(request, now)
        context = {"keys": keys, "form": form, "rotate_form": RotateForm(), "prefix": KEY_PREFIX, "can_manage": True}
        return render(request, "portal/keys.html", context, status=400)
    days = form.cleaned_data["expires_in_days"]
    key, plaintext = api_key_issue(
        merchant=request.merchant,
        name=form.cleaned_data["name"],
        scopes=tuple(form.cleaned_data["scopes"]),
        expires_at=timezone.now() + timedelta(days=days) if days else None,
    )
    return _show_secret(request, key, plaintext)


@require_POST
@merchant_required(permission="api_keys.manage")
def key_rotate_view(request, key_id: int):
    old = _key_or_404(request, key_id)
    form = RotateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose how long the old key keeps working."))
        return redirect("portal:api-keys")
    try:
        new, plaintext = api_key_rotate(key=old, overlap=timedelta(hours=form.cleaned_data["overlap_hours"]))
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("portal:api-keys")
    old.refresh_from_db()
    return _show_secret(request, new, plaintext, replaced=old)


@require_POST
@merchant_required(permission="api_keys.manage")
def key_revoke_view(request, key_id: int):
    key = api_key_revoke(key=_key_or_404(request, key_id))
    messages.success(
        request,
        _("Key “%(name)s” (%(key)s) is revoked; it no longer works.")
        % {"name": key.name, "key": f"{KEY_PREFIX}{key.prefix}_…"},
    )
    return redirect("portal:api-keys")
