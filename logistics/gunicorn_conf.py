"""gunicorn settings the Procfile loads (`--config python:logistics.gunicorn_conf`)."""

import os

from apps.common.logs import JsonFormatter


def _log_format() -> str:
    # As the settings decide it (LOG_FORMAT, else json in production), before Django is loaded.
    production = os.environ.get("DJANGO_SETTINGS_MODULE", "").endswith(".production")
    return os.environ.get("LOG_FORMAT", "json" if production else "plain")


# gunicorn's own lines (workers booting, timeouts) in the same JSON as Django's; the access log
# stays off, since the request line of apps.common.middleware says more, without query strings.
if _log_format() == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "root": {"level": "INFO", "handlers": []},
        "loggers": {"gunicorn.error": {"level": "INFO", "handlers": ["json"], "propagate": False}},
        "handlers": {"json": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
        "formatters": {"json": {"()": JsonFormatter}},
    }


def child_exit(server, worker) -> None:
    """A worker that exits leaves its live gauges behind in PROMETHEUS_MULTIPROC_DIR; its counters
    stay, so that totals never go back when gunicorn replaces a worker."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
