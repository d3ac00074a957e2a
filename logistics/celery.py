"""The Celery app: workers run outbox handlers and calls to outside systems; beat paces lanes."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "logistics.settings.dev")

app = Celery("logistics")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
