from apps.common.exceptions import DomainError, NotFound


class MerchantError(DomainError):
    code = "merchant_error"


class NotAMerchantUser(NotFound):
    code = "no_merchant"
