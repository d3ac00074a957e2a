"""Reads for merchants."""

from dataclasses import dataclass

from django.core.files.storage import default_storage
from django.db.models import QuerySet

from apps.merchants.exceptions import ApiKeyNotFound, NotAMerchantUser
from apps.merchants.models import ApiKey, Membership, Merchant


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
    """The portal user's role at their merchant ("owner" or "staff"); "" for staff-only logins."""
    return Membership.objects.filter(user_id=user.pk).values_list("role", flat=True).first() or ""


def merchant_list() -> QuerySet[Merchant]:
    return Merchant.objects.order_by("name", "pk")
