"""The Celery app: workers run outbox handlers and calls to outside systems; beat paces lanes."""

import os

from celery import Celery
from celery.signals import setup_logging, worker_process_shutdown, worker_ready, worker_shutdown

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "logistics.settings.dev")

app = Celery("logistics")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect
def _use_django_logging(**_) -> None:
    """Workers and beat log through Django's LOGGING (LOG_FORMAT, the request id on every line)
    instead of Celery's own handlers; Django has configured it by the time Celery asks."""


@worker_process_shutdown.connect
def _forget_dead_process_metrics(pid=None, **_) -> None:
    """A pool process that exits leaves its live gauges behind in PROMETHEUS_MULTIPROC_DIR;
    its counters stay, as they should (docs/operations.md#metrics)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid or os.getpid())


# Each worker says it is alive in Redis for the operations dashboard (apps.common.workers).
_heartbeat_stops = {}


@worker_ready.connect
def _start_heartbeat(sender, **kwargs):
    from apps.common.workers import heartbeat_start

    _heartbeat_stops[sender.hostname] = heartbeat_start(hostname=sender.hostname)


@worker_shutdown.connect
def _stop_heartbeat(sender, **kwargs):
    from apps.common.workers import heartbeat_forget

    for hostname, stop in _heartbeat_stops.items():
        stop.set()
        heartbeat_forget(hostname=hostname)
