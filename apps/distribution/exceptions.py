from apps.common.exceptions import DomainError, TransientError


class CarrierTransientError(TransientError):
    """The carrier did not answer usefully this time: a timeout, a 5xx, a refused connection."""


class BookingDeferred(TransientError):
    """Booking must wait: the carrier failed this time, or its circuit is open. Try again later."""

    def __init__(self, message: str, *, retry_in: float, circuit_open: bool = False, timed_out: bool = False) -> None:
        super().__init__(message)
        self.retry_in = retry_in
        # An open circuit made no call: the caller spends no attempt on it.
        self.circuit_open = circuit_open
        self.timed_out = timed_out


class CarrierPermanentError(DomainError):
    """The carrier refused the request itself; sending it again will not help."""

    http_status = 502
    code = "carrier_refused"


class DistributionNotCancellable(DomainError):
    http_status = 409
    code = "not_cancellable"
