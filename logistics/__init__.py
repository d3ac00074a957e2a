"""The logistics platform project package: settings, URLs, the Celery app."""

from logistics.celery import app as celery_app

__all__ = ("celery_app",)
