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
