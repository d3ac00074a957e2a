"""The resource center counts what happens to routed orders: capacity used today (per service
and per warehouse), and whether
deliveries came by the date the service promised. Subscribed by event name (orders and
distribution are not below resources)."""

from apps.common import outbox
from apps.resources.services import (
    delivery_promise_record,
    delivery_record,
    service_usage_count,
    warehouse_usage_count,
)

# The publishers' constants are out of reach (orders is this app's sibling, distribution sits
# above it), so the names are spelt here; apps/scheduling/tests/test_event_names.py fails if one of them
# is not an event type a publisher declares.
ORDER_ACCEPTED = "orders.order.accepted"
ORDER_REROUTED = "orders.order.rerouted"
DISTRIBUTION_ORDER_DELIVERED = "distribution.order.delivered"


@outbox.on(ORDER_ACCEPTED)
def count_accepted_order(event: outbox.Event) -> None:
    carrier_code, service_code = event.payload.get("carrier_code"), event.payload.get("service_code")
    if not carrier_code:
        return
    service_usage_count(carrier_code=carrier_code, service_code=service_code, at=event.created_at)
    if event.payload.get("warehouse_code"):
        warehouse_usage_count(warehouse_code=event.payload["warehouse_code"], at=event.created_at)
    for part in event.payload.get("further_parts", ()):  # an order split across warehouses
        service_usage_count(carrier_code=part["carrier_code"], service_code=part["service_code"], at=event.created_at)
        warehouse_usage_count(warehouse_code=part["warehouse_code"], at=event.created_at)
    delivery_promise_record(
        order_id=int(event.payload["order_id"]),
        carrier_code=carrier_code,
        service_code=service_code,
        accepted_on=event.created_at.date(),
    )


@outbox.on(ORDER_REROUTED)
def count_rerouted_order(event: outbox.Event) -> None:
    # The new service carries the order from today; the old one's count stays (it was booked at).
    service_usage_count(
        carrier_code=event.payload["carrier_code"],
        service_code=event.payload["service_code"],
        at=event.created_at,
    )


@outbox.on(DISTRIBUTION_ORDER_DELIVERED)
def record_delivery(event: outbox.Event) -> None:
    delivery_record(
        order_id=int(event.payload["order_id"]),
        carrier_code=event.payload["carrier_code"],
        service_code=event.payload["service_code"],
        delivered_on=event.created_at.date(),
    )
