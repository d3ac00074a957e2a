"""gunicorn settings the Procfile loads (`--config python:logistics.gunicorn_conf`)."""

import os


def child_exit(server, worker) -> None:
    """A worker that exits leaves its live gauges behind in PROMETHEUS_MULTIPROC_DIR; its counters
    stay, so that totals never go back when gunicorn replaces a worker."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
