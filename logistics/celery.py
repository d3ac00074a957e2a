"""The Celery app: workers run outbox handlers and calls to outside systems; beat paces lanes."""

import os

from celery import Celery
from celery.signals import setup_logging, worker_process_shutdown

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
