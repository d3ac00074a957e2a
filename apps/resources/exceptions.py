from apps.common.exceptions import DomainError, NotFound


class CarrierNotFound(NotFound):
    code = "carrier_not_found"


class WarehouseNotFound(NotFound):
    code = "warehouse_not_found"


class RateCardInvalid(DomainError):
    code = "rate_card_invalid"
