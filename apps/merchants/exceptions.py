from apps.common.exceptions import DomainError, NotFound


class MerchantError(DomainError):
    code = "merchant_error"


class NotAMerchantUser(NotFound):
    code = "no_merchant"


class ApiKeyNotActive(MerchantError):
    http_status = 409
    code = "api_key_not_active"


class ApiKeyNotFound(NotFound):
    code = "api_key_not_found"


class InvalidLogo(MerchantError):
    http_status = 400
    code = "invalid_logo"


class LastOwner(MerchantError):
    """A merchant keeps at least one owner: the last one can be neither removed nor demoted."""

    http_status = 409
    code = "last_owner"


class MemberNotFound(NotFound):
    code = "member_not_found"


class InvitationNotValid(MerchantError):
    """The link is unknown, tampered with, expired, revoked or used already."""

    http_status = 410
    code = "invitation_not_valid"


class AlreadyAMember(MerchantError):
    """A login works for one merchant only (Membership's one_merchant_per_user)."""

    http_status = 409
    code = "already_a_member"


class TwoFactorError(MerchantError):
    http_status = 400
    code = "two_factor_error"
