"""What the distribution services share: the row lock, transitions with their event, carrier gateways."""

import logging

from apps.common.fsm import take_transition
from apps.distribution import events
from apps.distribution.gateways import CallRecord, CarrierGateway, gateway_for
from apps.distribution.models import CarrierCall, DistributionOrder, DistributionState
from apps.resources.selectors import carrier_get

S = DistributionState
ACTOR = "system:distribution"

logger = logging.getLogger("apps.distribution.carrier_calls")


def take_and_announce(
    distribution_order: DistributionOrder, name: str, *, actor: str = ACTOR, reason: str = ""
) -> None:
    """Take the transition and record its `distribution.order.<state>` event."""
    take_transition(distribution_order, name, actor=actor, reason=reason)
    events.distribution_event(distribution_order, actor=actor, reason=reason)


def locked(distribution_order_id: int) -> DistributionOrder:
    return DistributionOrder.objects.select_for_update().get(pk=distribution_order_id)


def _call_logger(carrier_code: str, distribution_order_id: int | None):
    def log(record: CallRecord) -> None:
        # Ids, the path and the outcome only: never the request body (it holds the recipient).
        logger.info(
            "carrier %s %s %s %s: %s %s in %d ms%s",
            carrier_code,
            record.operation,
            record.method,
            record.path,
            record.outcome,
            record.status_code if record.status_code is not None else "-",
            record.duration_ms,
            f" (delivery {distribution_order_id})" if distribution_order_id else "",
        )
        CarrierCall.objects.create(
            carrier_code=carrier_code,
            distribution_order_id=distribution_order_id,
            operation=record.operation,
            method=record.method,
            path=record.path[:300],
            status_code=record.status_code,
            outcome=record.outcome,
            duration_ms=record.duration_ms,
            error=record.error,
        )

    return log


def carrier_gateway(carrier_code: str, *, distribution_order_id: int | None = None) -> CarrierGateway:
    """The carrier's gateway, logging each call it makes (for the given delivery, if any)."""
    carrier = carrier_get(code=carrier_code)
    return gateway_for(
        gateway_kind=carrier.gateway_kind,
        endpoint_url=carrier.endpoint_url,
        api_key=carrier.api_key,
        observer=_call_logger(carrier.code, distribution_order_id),
    )
