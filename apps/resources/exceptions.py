from apps.common.exceptions import NotFound


class CarrierNotFound(NotFound):
    code = "carrier_not_found"
