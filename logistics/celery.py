"""The Celery app: workers run outbox handlers and calls to outside systems; beat paces lanes."""

import os

from celery import Celery
from celery.signals import worker_ready, worker_shutdown

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "logistics.settings.dev")

app = Celery("logistics")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


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
