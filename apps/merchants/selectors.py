"""Reads for merchants."""

from apps.merchants.exceptions import NotAMerchantUser
from apps.merchants.models import Membership, Merchant


def merchant_for_user(*, user) -> Merchant:
    """The merchant a portal user works for; raises NotAMerchantUser for staff-only users."""
    membership = Membership.objects.select_related("merchant").filter(user_id=user.pk).first()
    if membership is None:
        raise NotAMerchantUser("This login does not belong to a merchant.")
    return membership.merchant


def merchant_get(*, merchant_id: int) -> Merchant:
    return Merchant.objects.get(pk=merchant_id)
