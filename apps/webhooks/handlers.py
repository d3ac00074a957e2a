"""Merchant webhooks follow the order center's news."""

from apps.common import outbox
from apps.webhooks.catalog import EVENT_TYPES
from apps.webhooks.services import deliveries_fan_out


def fan_out(event: outbox.Event) -> None:
    deliveries_fan_out(event=event)


for _internal_type in EVENT_TYPES.values():
    outbox.on(_internal_type)(fan_out)
