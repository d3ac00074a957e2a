from django.apps import AppConfig


class CommonConfig(AppConfig):
    """Owns global ids (`ids`), the outbox (`outbox`: record, subscribe, relay, dispatch),
    transition recording (`fsm`) and `DomainError`."""

    name = "apps.common"
    label = "common"
