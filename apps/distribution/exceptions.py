from apps.common.exceptions import DomainError, TransientError


class CarrierTransientError(TransientError):
    """The carrier did not answer usefully this time: a timeout, a 5xx, a refused connection."""


class CarrierPermanentError(DomainError):
    """The carrier refused the request itself; sending it again will not help."""

    http_status = 502
    code = "carrier_refused"
