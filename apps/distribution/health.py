"""Carrier health: each carrier's circuit breaker (apps/common/breaker.py), with the carrier
gateways' exceptions. A carrier's transient errors (5xx, 429, timeouts, connection failures)
count against it; its refusal of one request (a 4xx) shows it is up."""

from collections.abc import Callable

from django.conf import settings

from apps.common import breaker
from apps.common.breaker import CircuitStatus
from apps.distribution.exceptions import CarrierPermanentError, CarrierTransientError

__all__ = ["CircuitOpen", "CircuitStatus", "circuit_reset", "circuit_status", "guarded_call"]


class CircuitOpen(CarrierTransientError):
    def __init__(self, carrier_code: str, retry_in: float, *, state: str = "open") -> None:
        super().__init__(f"circuit of {carrier_code} is {state}; next probe in {retry_in:.0f} s")
        self.retry_in = retry_in


def guarded_call[T](carrier_code: str, call: Callable[..., T], *args, **kwargs) -> T:
    """Make a call to a carrier through its circuit; raise CircuitOpen instead when it must wait
    (also when Redis cannot say whether the circuit is open)."""
    try:
        return breaker.guarded(
            carrier_code,
            lambda: call(*args, **kwargs),
            failures=(CarrierTransientError,),
            refusals=(CarrierPermanentError,),
            probe_timeout=settings.CARRIER_HTTP_TIMEOUT_SECONDS + 5,
        )
    except breaker.MustWait as exc:
        raise CircuitOpen(carrier_code, exc.retry_in, state=exc.state) from exc


def circuit_status(carrier_code: str) -> CircuitStatus:
    return breaker.circuit_status(carrier_code)


def circuit_reset(carrier_code: str) -> None:
    """Close a carrier's circuit by hand (operations, tests)."""
    breaker.circuit_reset(carrier_code)
