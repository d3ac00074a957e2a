"""Reads for merchants."""

from dataclasses import dataclass

from django.core.files.storage import default_storage
from django.db.models import Case, Exists, OuterRef, QuerySet, When
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.merchants.exceptions import ApiKeyNotFound, MemberNotFound, NotAMerchantUser
from apps.merchants.models import ApiKey, AuditEntry, Invitation, Membership, Merchant, RecoveryCode


def merchant_for_user(*, user) -> Merchant:
    """The merchant a portal user works for; raises NotAMerchantUser for staff-only users."""
    membership = Membership.objects.select_related("merchant").filter(user_id=user.pk).first()
    if membership is None:
        raise NotAMerchantUser("This login does not belong to a merchant.")
    return membership.merchant


def merchant_get(*, merchant_id: int) -> Merchant:
    return Merchant.objects.get(pk=merchant_id)


@dataclass(frozen=True)
class MerchantPublic:
    """What anyone may see of a merchant: its name, and its logo's file name ("" without one)."""

    id: int
    name: str
    logo_name: str


def merchant_public(*, merchant_id: int) -> MerchantPublic | None:
    row = Merchant.objects.filter(pk=merchant_id).values_list("name", "logo").first()
    if row is None:
        return None
    return MerchantPublic(id=merchant_id, name=row[0], logo_name=row[1].removeprefix("logos/") if row[1] else "")


def merchant_logo_open(*, merchant_id: int, name: str):
    """The merchant's current logo file (a PNG), open for reading, if `name` is its file name; else None."""
    logo = Merchant.objects.filter(pk=merchant_id).values_list("logo", flat=True).first()
    if not logo or logo != f"logos/{name}":
        return None
    try:
        return default_storage.open(logo, "rb")
    except FileNotFoundError:
        return None


def api_key_list(*, merchant_id: int) -> QuerySet[ApiKey]:
    """The merchant's keys, newest first (revoked and expired ones too, for the record)."""
    return ApiKey.objects.filter(merchant_id=merchant_id).order_by("-created_at", "-id")


def api_key_get(*, merchant_id: int, key_id: int) -> ApiKey:
    """One of the merchant's keys; another merchant's is not found."""
    key = ApiKey.objects.filter(merchant_id=merchant_id, pk=key_id).first()
    if key is None:
        raise ApiKeyNotFound(f"API key {key_id} does not exist.")
    return key


def merchant_role_for_user(*, user) -> str:
    """The portal user's role at their merchant (Membership.Role); "" for staff-only logins."""
    return Membership.objects.filter(user_id=user.pk).values_list("role", flat=True).first() or ""


def merchant_list() -> QuerySet[Merchant]:
    return Merchant.objects.order_by("name", "pk")


def membership_for_user(*, user) -> Membership:
    """The portal user's membership with its merchant, in one query; raises NotAMerchantUser."""
    membership = Membership.objects.select_related("merchant").filter(user_id=user.pk).first()
    if membership is None:
        raise NotAMerchantUser("This login does not belong to a merchant.")
    return membership


def member_list(*, merchant_id: int) -> QuerySet[Membership]:
    """The merchant's members, owners first, each with whether they log in with two factors."""
    with_device = TOTPDevice.objects.filter(user_id=OuterRef("user_id"), confirmed=True)
    return (
        Membership.objects.filter(merchant_id=merchant_id)
        .select_related("user")
        .annotate(two_factor=Exists(with_device))
        .order_by(
            Case(*[When(role=role, then=n) for n, role in enumerate(Membership.Role.values)]),
            "user__username",
        )
    )


def member_get(*, merchant_id: int, membership_id: int) -> Membership:
    membership = Membership.objects.select_related("user").filter(merchant_id=merchant_id, pk=membership_id).first()
    if membership is None:
        raise MemberNotFound(f"Member {membership_id} does not exist.")
    return membership


def invitation_pending_list(*, merchant_id: int) -> QuerySet[Invitation]:
    """Invitations that can still be accepted, newest first."""
    return Invitation.objects.filter(
        merchant_id=merchant_id, accepted_at=None, revoked_at=None, expires_at__gt=timezone.now()
    ).order_by("-created_at", "-id")


def audit_list(*, merchant_id: int, limit: int = 100) -> list[AuditEntry]:
    """The merchant's latest team and login-security changes, newest first."""
    return list(AuditEntry.objects.filter(merchant_id=merchant_id).order_by("-created_at", "-id")[:limit])


def totp_device_for_user(*, user, confirmed: bool = True):
    """The user's authenticator (a django-otp TOTPDevice), or None."""
    return TOTPDevice.objects.filter(user_id=user.pk, confirmed=confirmed).order_by("pk").first()


def recovery_codes_left(*, user) -> int:
    return RecoveryCode.objects.filter(user_id=user.pk, used_at=None).count()
