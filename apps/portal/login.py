"""Password logins, for the portal and the admin alike, throttled per account and per address.

Only failures count: each one takes a token from the account's bucket (keyed on the username
typed, so guessing at an unknown name is throttled the same) and from the client address's
(`ratelimit.client_address`, so one address cannot walk through many accounts). While either is
empty, even the right password is refused, with the time to wait: guessing gains nothing by
going on. A login that succeeds takes nothing.
"""

import math

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from apps.common import ratelimit


def _buckets(request, username: str) -> list[tuple[str, int]]:
    return [
        (f"login-account:{username.strip().lower()}", settings.LOGIN_FAILURES_PER_ACCOUNT),
        (f"login-address:{ratelimit.client_address(request)}", settings.LOGIN_FAILURES_PER_ADDRESS),
    ]


def _wait_seconds(request, username: str) -> float:
    per_second = 1 / settings.LOGIN_FAILURE_REFILL_SECONDS
    verdicts = [
        ratelimit.peek(bucket=bucket, capacity=capacity, per_second=per_second)
        for bucket, capacity in _buckets(request, username)
    ]
    return max((v.retry_after_seconds for v in verdicts if not v.allowed), default=0.0)


def _record_failure(request, username: str) -> None:
    per_second = 1 / settings.LOGIN_FAILURE_REFILL_SECONDS
    for bucket, capacity in _buckets(request, username):
        ratelimit.take(bucket=bucket, capacity=capacity, per_second=per_second)


def _in_words(seconds: float) -> str:
    if seconds <= 90:
        count = max(1, math.ceil(seconds))
        return ngettext("%(count)d second", "%(count)d seconds", count) % {"count": count}
    count = math.ceil(seconds / 60)
    return ngettext("%(count)d minute", "%(count)d minutes", count) % {"count": count}


class ThrottledLoginMixin:
    def clean(self):
        username = self.cleaned_data.get("username") or ""
        request = self.request
        wait = _wait_seconds(request, username)
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
                _record_failure(request, username)
            raise


class ThrottledAuthenticationForm(ThrottledLoginMixin, AuthenticationForm):
    """The portal's login form."""


class ThrottledAdminAuthenticationForm(ThrottledLoginMixin, AdminAuthenticationForm):
    """The admin's login form (`admin.site.login_form`)."""
