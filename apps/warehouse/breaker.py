"""Every call to a warehouse's WMS goes through that warehouse's circuit breaker, with the
carriers' rules (apps/common/breaker.py): a timeout, 5xx or refused connection counts against
the WMS; a refusal of one request (4xx) shows it is up; while the circuit is open no call goes
out and the caller gets `WmsCircuitOpen`, a `WmsUnavailable` that says when to ask again."""

from collections.abc import Mapping

from django.conf import settings

from apps.common import breaker
from apps.common.breaker import CircuitStatus
from apps.warehouse.wms import WmsGateway
from apps.warehouse.wms.errors import WmsRefused, WmsUnavailable


class WmsCircuitOpen(WmsUnavailable):
    """No call was made: the WMS's circuit is open (or Redis cannot say); retry in `retry_in` s."""

    def __init__(self, warehouse_code: str, retry_in: float, state: str) -> None:
        super().__init__(
            f"circuit of warehouse {warehouse_code} is {state}; next probe in {retry_in:.0f} s", may_have_arrived=False
        )
        self.retry_in = retry_in


def downstream(warehouse_code: str) -> str:
    return f"warehouse:{warehouse_code}"


def wms_circuit(warehouse_code: str) -> CircuitStatus:
    return breaker.circuit_status(downstream(warehouse_code))


class GuardedWmsGateway:
    """A WMS gateway whose calls pass the warehouse's circuit breaker (reading a webhook is no call)."""

    _CALLS = ("create_order", "cancel_order", "get_order", "changes_since", "stock_snapshot", "create_asn", "receipts")

    def __init__(self, gateway: WmsGateway, *, warehouse_code: str) -> None:
        self._gateway, self._code = gateway, warehouse_code

    def __getattr__(self, name: str):
        method = getattr(self._gateway, name)
        if name not in self._CALLS:
            return method

        def guarded(*args, **kwargs):
            try:
                return breaker.guarded(
                    downstream(self._code),
                    lambda: method(*args, **kwargs),
                    failures=(WmsUnavailable,),
                    refusals=(WmsRefused,),
                    probe_timeout=settings.WMS_HTTP_TIMEOUT_SECONDS + 5,
                )
            except breaker.MustWait as exc:
                raise WmsCircuitOpen(self._code, exc.retry_in, exc.state) from exc

        return guarded

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]):
        return self._gateway.parse_webhook(body, headers)
