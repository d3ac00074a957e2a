"""Password logins, for the portal and the admin alike, throttled per account and per address.

Only failures count: each one takes a token from the account's bucket (keyed on the username
typed, so guessing at an unknown name is throttled the same) and from the client address's
(`ratelimit.client_address`, so one address cannot walk through many accounts). While either is
empty, even the right password is refused, with the time to wait: guessing gains nothing by
going on. A login that succeeds takes nothing.

The second step (a code from an authenticator app or a recovery code, for logins with two-factor
login on) is throttled the same way: per account and per address, failures only.
"""

import math

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from apps.common import ratelimit
from apps.common.text import refuse_control_characters
from apps.merchants.selectors import totp_device_for_user
from apps.merchants.two_factor import two_factor_verify


def _buckets(request, username: str) -> list[tuple[str, int]]:
    return [
        (f"login-account:{username.strip().lower()}", settings.LOGIN_FAILURES_PER_ACCOUNT),
        (f"login-address:{ratelimit.client_address(request)}", settings.LOGIN_FAILURES_PER_ADDRESS),
    ]


def _second_step_buckets(request, user) -> list[tuple[str, int]]:
    return [
        (f"login-second-step:{user.pk}", settings.TWO_FACTOR_FAILURES_PER_ACCOUNT),
        (f"login-address:{ratelimit.client_address(request)}", settings.LOGIN_FAILURES_PER_ADDRESS),
    ]


def _wait_seconds(buckets: list[tuple[str, int]]) -> float:
    per_second = 1 / settings.LOGIN_FAILURE_REFILL_SECONDS
    verdicts = [ratelimit.peek(bucket=bucket, capacity=capacity, per_second=per_second) for bucket, capacity in buckets]
    return max((v.retry_after_seconds for v in verdicts if not v.allowed), default=0.0)


def _record_failure(buckets: list[tuple[str, int]]) -> None:
    per_second = 1 / settings.LOGIN_FAILURE_REFILL_SECONDS
    for bucket, capacity in buckets:
        ratelimit.take(bucket=bucket, capacity=capacity, per_second=per_second)


def _in_words(seconds: float) -> str:
    if seconds <= 90:
        n = max(1, math.ceil(seconds))
        return ngettext("%(n)d second", "%(n)d seconds", n) % {"n": n}
    n = math.ceil(seconds / 60)
    return ngettext("%(n)d minute", "%(n)d minutes", n) % {"n": n}


class ThrottledLoginMixin:
    def clean(self):
        username = self.cleaned_data.get("username") or ""
        request = self.request
        wait = _wait_seconds(_buckets(request, username))
        if wait:
            raise forms.ValidationError(
                _("Too many failed logins for this account or from this address. Try again in %(wait)s."),
                code="throttled",
                params={"wait": _in_words(wait)},
            )
        try:
            return super().clean()
        except forms.ValidationError as exc:
            if any(error.code == "invalid_login" for error in exc.error_list):
                _record_failure(_buckets(request, username))
            raise


class ThrottledAuthenticationForm(ThrottledLoginMixin, AuthenticationForm):
    """The portal's login form."""


class ThrottledAdminAuthenticationForm(ThrottledLoginMixin, AdminAuthenticationForm):
    """The admin's login form (`logistics.admin.OperationsAdminSite`): the password and, in the
    same form, the current code of the staff member's authenticator (or a recovery code). Staff
    without an authenticator are refused: `manage.py staff_authenticator` makes one (docs/operations.md).
    Wrong codes are throttled as on the portal's second step; the device that vouched is kept on
    the user, and django-otp marks the session with it as Django logs the user in."""

    code = forms.CharField(
        max_length=64,
        label=_("Code from your authenticator app"),
        validators=[refuse_control_characters],
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code"}),
    )

    def clean(self):
        cleaned = super().clean()  # the password, then is_active and is_staff
        user = self.get_user()
        if user is None or self.errors:
            return cleaned
        if totp_device_for_user(user=user) is None:
            raise forms.ValidationError(
                _(
                    "The admin asks for a code from an authenticator app, and this login has none yet: ask "
                    "a colleague with shell access to run manage.py staff_authenticator for it."
                ),
                code="no_second_factor",
            )
        buckets = _second_step_buckets(self.request, user)
        wait = _wait_seconds(buckets)
        if wait:
            raise forms.ValidationError(
                _("Too many wrong codes. Try again in %(wait)s."), code="throttled", params={"wait": _in_words(wait)}
            )
        device = two_factor_verify(user=user, code=cleaned.get("code") or "")
        if device is None:
            _record_failure(buckets)
            raise forms.ValidationError(_("That code is not right, or was used already."), code="invalid_code")
        user.otp_device = device  # django_otp.login() on user_logged_in marks the session
        return cleaned


class SecondStepForm(forms.Form):
    """The second step of a login with two-factor login on: the authenticator's current code or
    one of the recovery codes (each works once). `self.device` is the device that vouched."""

    code = forms.CharField(
        max_length=64,
        label=_("Code from your authenticator app, or a recovery code"),
        validators=[refuse_control_characters],
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
    )

    def __init__(self, *args, request, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.request, self.user, self.device = request, user, None

    def clean(self):
        buckets = _second_step_buckets(self.request, self.user)
        wait = _wait_seconds(buckets)
        if wait:
            raise forms.ValidationError(
                _("Too many wrong codes. Try again in %(wait)s."), code="throttled", params={"wait": _in_words(wait)}
            )
        code = self.cleaned_data.get("code")
        if code is None:
            return self.cleaned_data
        self.device = two_factor_verify(user=self.user, code=code)
        if self.device is None:
            _record_failure(buckets)
            self.add_error("code", _("That code is not right, or was used already."))
        return self.cleaned_data
