"""A member's own login security: the second login step and two-factor set-up (docs/team.md).

The password step is Django's LoginView (apps/portal/login.py throttles it). A member whose login
has an authenticator is sent by `merchant_required` to the code step; an owner without one is
sent to set it up before any other page.
"""

import base64

import qrcode
import qrcode.image.svg
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login

from apps.common.exceptions import DomainError
from apps.common.text import refuse_control_characters
from apps.merchants.permissions import TWO_FACTOR_REQUIRED_ROLES
from apps.merchants.selectors import recovery_codes_left, totp_device_for_user
from apps.merchants.two_factor import (
    recovery_codes_renew,
    totp_setup_confirm,
    totp_setup_start,
    two_factor_disable,
    two_factor_verify,
)
from apps.portal.login import SecondStepForm
from apps.portal.views import merchant_required


class ConfirmForm(forms.Form):
    token = forms.CharField(
        max_length=12,
        label=gettext_lazy("The 6-digit code your app shows now"),
        validators=[refuse_control_characters],
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class DisableForm(forms.Form):
    code = forms.CharField(
        max_length=64,
        label=gettext_lazy("Code from your authenticator app, or a recovery code"),
        validators=[refuse_control_characters],
    )


def _next(request, fallback: str = "portal:home") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return fallback


def _no_store(response):
    response["Cache-Control"] = "no-store"
    return response


@login_required
def login_verify_view(request):
    """The second step of a login: the authenticator's code or a recovery code."""
    device = totp_device_for_user(user=request.user)
    if device is None or request.session.get(DEVICE_ID_SESSION_KEY):
        return redirect(_next(request))
    form = SecondStepForm(request.POST or None, request=request, user=request.user)
    if request.method == "POST" and form.is_valid():
        request.session.cycle_key()  # a new session id for the session that now has both factors
        otp_login(request, form.device)
        return redirect(_next(request))
    return render(
        request,
        "portal/login_verify.html",
        {"form": form, "next": _next(request, "")},
        status=400 if request.method == "POST" else 200,
    )


def _qr_data_uri(url: str) -> str:
    svg = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8).to_string()
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode()


def _setup_page(request, *, device=None, form=None, status=200):
    confirmed = totp_device_for_user(user=request.user)
    pending = None if confirmed else (device or totp_device_for_user(user=request.user, confirmed=False))
    context = {
        "confirmed": confirmed,
        "pending": pending,
        "required": request.membership.role in TWO_FACTOR_REQUIRED_ROLES,
        "codes_left": recovery_codes_left(user=request.user) if confirmed else 0,
        "confirm_form": form or ConfirmForm(),
        "disable_form": DisableForm(),
        "next": _next(request, ""),
    }
    if pending is not None:
        context["qr"] = _qr_data_uri(pending.config_url)
        context["secret"] = base64.b32encode(pending.bin_key).decode()
    return _no_store(render(request, "portal/two_factor.html", context, status=status))


@merchant_required(two_factor=False)
def two_factor_view(request):
    """Whether two-factor login is on, and its set-up: start (POST) shows the QR code, then a
    code from the app confirms it and shows the recovery codes once."""
    if request.method == "POST":
        try:
            device = totp_setup_start(user=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("portal:two-factor")
        return _setup_page(request, device=device)
    return _setup_page(request)


def _show_codes(request, codes: list[str]):
    return _no_store(
        render(request, "portal/two_factor_codes.html", {"codes": codes, "next": _next(request, "")}, status=201)
    )


@require_POST
@merchant_required(two_factor=False)
def two_factor_confirm_view(request):
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        return _setup_page(request, form=form, status=400)
    try:
        device, codes = totp_setup_confirm(user=request.user, token=form.cleaned_data["token"])
    except DomainError as exc:
        form.add_error("token", exc.message)
        return _setup_page(request, form=form, status=400)
    request.session.cycle_key()
    otp_login(request, device)  # this session has just shown the second factor
    return _show_codes(request, codes)


@require_POST
@merchant_required
def recovery_codes_renew_view(request):
    try:
        codes = recovery_codes_renew(user=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("portal:two-factor")
    return _show_codes(request, codes)


@require_POST
@merchant_required
def two_factor_disable_view(request):
    """Turning it off takes a fresh code, so that an unattended session cannot."""
    if request.membership.role in TWO_FACTOR_REQUIRED_ROLES:
        messages.error(request, _("Owners must keep two-factor login on."))
        return redirect("portal:two-factor")
    form = DisableForm(request.POST)
    if not form.is_valid() or two_factor_verify(user=request.user, code=form.cleaned_data["code"]) is None:
        messages.error(request, _("That code is not right; two-factor login stays on."))
        return redirect("portal:two-factor")
    try:
        two_factor_disable(user=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("portal:two-factor")
    request.session.pop(DEVICE_ID_SESSION_KEY, None)
    messages.success(request, _("Two-factor login is off."))
    return redirect("portal:two-factor")
