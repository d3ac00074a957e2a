"""Every subscription names an event a publisher declares: a misspelt type would subscribe to
nothing and fail silently. Here because scheduling is the lowest layer that sees the publishers
(orders, distribution and itself) and resources, which has to spell their names out; the `events`
modules of apps above it (label batches) are found through the app registry."""

import importlib

from django.apps import apps as django_apps

from apps.common import outbox
from apps.distribution import events as distribution_events
from apps.distribution.models import DistributionState
from apps.fulfillment import events as fulfillment_events
from apps.orders import events as order_events
from apps.orders.models import OrderState
from apps.resources import handlers as resources_handlers
from apps.scheduling import events as scheduling_events
from apps.warehouse import events as warehouse_events


def _events_modules() -> list:
    """Every app's `events` module, found through the app registry (a higher layer's cannot be imported here)."""
    modules = []
    for config in django_apps.get_app_configs():
        try:
            modules.append(importlib.import_module(f"{config.name}.events"))
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.events":
                raise
    return modules


def _declared_event_types() -> set[str]:
    """Every event type constant (an upper-case string with a dot) of the publishers' `events`
    modules, and the state events they derive from their machines."""
    publishers = (order_events, distribution_events, fulfillment_events, scheduling_events, warehouse_events)
    constants = {
        value
        for module in {*publishers, *_events_modules()}
        for name, value in vars(module).items()
        if name.isupper() and isinstance(value, str) and "." in value
    }
    return (
        constants
        | {order_events.order_state_event(state) for state in OrderState}
        | {distribution_events.distribution_state_event(state) for state in DistributionState}
    )


def test_every_subscribed_event_type_is_declared_by_its_publisher():
    subscribed = {
        event_type
        for event_type, subscribers in outbox.subscribed_event_types().items()
        if any(".tests." not in name for name in subscribers)  # tests subscribe to made-up events of their own
    }

    assert subscribed - _declared_event_types() == set()


def test_the_names_resources_spells_out_are_the_publishers_own():
    assert resources_handlers.ORDER_ACCEPTED == order_events.ORDER_ACCEPTED
    assert resources_handlers.ORDER_REROUTED == order_events.ORDER_REROUTED
    assert resources_handlers.DISTRIBUTION_ORDER_DELIVERED == distribution_events.DISTRIBUTION_ORDER_DELIVERED
