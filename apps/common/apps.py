from django.apps import AppConfig


class CommonConfig(AppConfig):
    """Owns global ids (`ids`), the outbox (`outbox`: record, subscribe, relay, dispatch),
    transition recording (`fsm`), `DomainError`, the shape of every center's stuck-work report
    (`stuck.stuck_groups`), and the Celery workers' heartbeats and queue depths in Redis
    (`workers.worker_heartbeats`, `workers.queue_depths`)."""

    name = "apps.common"
    label = "common"
