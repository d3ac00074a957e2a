"""Writes for two-factor login: an authenticator app (TOTP, django-otp's TOTPDevice) and
single-use recovery codes, of which only a keyed hash is kept.

Who must use it is in apps/merchants/permissions.py (TWO_FACTOR_REQUIRED_ROLES); the login step
and the pages are the portal's (apps/portal/account_views.py). Every change is an audit line.
"""

import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.merchants.exceptions import TwoFactorError
from apps.merchants.models import AuditEntry, Membership, RecoveryCode
from apps.merchants.permissions import TWO_FACTOR_REQUIRED_ROLES
from apps.merchants.team import audit_record

RECOVERY_CODE_COUNT = 10
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off paper without doubt
Action = AuditEntry.Action


def _normalise(code: str) -> str:
    return "".join(c for c in code.lower() if c not in " -\t")


def _hash(code: str) -> str:
    return salted_hmac(
        "merchants.recovery-code", _normalise(code), secret=settings.API_KEY_PEPPER, algorithm="sha256"
    ).hexdigest()


def _audit_own(user, action: str) -> None:
    membership = Membership.objects.filter(user_id=user.pk).only("merchant_id").first()
    if membership is not None:
        audit_record(merchant_id=membership.merchant_id, actor=user, action=action, subject=user.get_username())


def _new_codes(user) -> list[str]:
    RecoveryCode.objects.filter(user_id=user.pk).delete()
    codes = []
    for _n in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_ALPHABET) for _i in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    RecoveryCode.objects.bulk_create([RecoveryCode(user_id=user.pk, code_hash=_hash(code)) for code in codes])
    return codes


@transaction.atomic(durable=True)
def totp_setup_start(*, user) -> TOTPDevice:
    """A new, unconfirmed authenticator for `user` (replacing an earlier unconfirmed one), whose
    key the user scans; it counts once `totp_setup_confirm` saw a code from it."""
    if TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).exists():
        raise TwoFactorError(_("Two-factor login is on already."))
    TOTPDevice.objects.filter(user_id=user.pk, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


@transaction.atomic(durable=True)
def totp_setup_confirm(*, user, token: str) -> tuple[TOTPDevice, list[str]]:
    """Turn two-factor login on with a code from the new authenticator; returns the device and
    the recovery codes in plain, shown this once."""
    device = TOTPDevice.objects.select_for_update().filter(user_id=user.pk, confirmed=False).first()
    if device is None:
        raise TwoFactorError(_("Start the set-up again: no authenticator is waiting to be confirmed."))
    if not device.verify_token(token.strip()):
        raise TwoFactorError(_("That code is not right. Check the time on your phone and try the newest code."))
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _new_codes(user)
    _audit_own(user, Action.TWO_FACTOR_ENABLED)
    return device, codes


@transaction.atomic(durable=True)
def two_factor_verify(*, user, code: str) -> TOTPDevice | None:
    """The user's confirmed authenticator when `code` is its current code or an unused recovery
    code (which is used up by this); None otherwise."""
    device = TOTPDevice.objects.select_for_update().filter(user_id=user.pk, confirmed=True).first()
    if device is None:
        return None
    normalised = _normalise(code)
    if normalised.isascii() and normalised.isdigit() and len(normalised) == device.digits:
        return device if device.verify_token(normalised) else None
    used = RecoveryCode.objects.filter(user_id=user.pk, code_hash=_hash(code), used_at=None).update(
        used_at=timezone.now()
    )
    if not used:
        return None
    _audit_own(user, Action.RECOVERY_CODE_USED)
    return device


@transaction.atomic(durable=True)
def recovery_codes_renew(*, user) -> list[str]:
    """New recovery codes for a user with two-factor login on; the old ones stop working."""
    if not TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).exists():
        raise TwoFactorError(_("Turn two-factor login on first."))
    codes = _new_codes(user)
    _audit_own(user, Action.RECOVERY_CODES_RENEWED)
    return codes


@transaction.atomic(durable=True)
def two_factor_disable(*, user) -> None:
    """Turn two-factor login off (roles that require it may not)."""
    role = Membership.objects.filter(user_id=user.pk).values_list("role", flat=True).first()
    if role in TWO_FACTOR_REQUIRED_ROLES:
        raise TwoFactorError(_("Owners must keep two-factor login on."))
    deleted, _by_model = TOTPDevice.objects.filter(user_id=user.pk).delete()
    RecoveryCode.objects.filter(user_id=user.pk).delete()
    if deleted:
        _audit_own(user, Action.TWO_FACTOR_DISABLED)


@transaction.atomic  # not durable: seed_demo gives its operations user one inside its own
def staff_authenticator_issue(*, user, replace: bool = False) -> TOTPDevice:
    """A confirmed authenticator for a staff login, made by operations at the command line
    (`manage.py staff_authenticator`): the admin asks for its code at every login. A login that
    has one keeps it unless `replace`, and then the old one stops working at once."""
    if not user.is_staff:
        raise TwoFactorError("Only staff logins get an authenticator here; members set theirs up in the portal.")
    devices = TOTPDevice.objects.select_for_update().filter(user_id=user.pk)
    if not replace and devices.filter(confirmed=True).exists():
        raise TwoFactorError(f"{user.get_username()} has an authenticator already; pass --replace for a new one.")
    devices.delete()
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
