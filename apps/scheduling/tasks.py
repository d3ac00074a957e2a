from celery import shared_task

from apps.common.exceptions import INFRASTRUCTURE_ERRORS
from apps.scheduling.services import (
    lane_release_all,
    lane_sweep,
    lane_track_enqueue_due,
    lane_warehouse_enqueue_due,
    lane_work_run,
)


@shared_task(acks_late=True, ignore_result=True)
def release_lanes() -> None:
    lane_release_all()


@shared_task(acks_late=True, ignore_result=True, expires=10)
def sweep_lanes() -> None:
    lane_sweep()


@shared_task(acks_late=True, ignore_result=True)
def enqueue_tracking() -> None:
    lane_track_enqueue_due()


@shared_task(acks_late=True, ignore_result=True)
def enqueue_warehouse_sweeps() -> None:
    lane_warehouse_enqueue_due()


# The nudge of one released lane work. The work is a row: a lost message is brought back by the
# sweeper when its lease runs out, a doubled one finds the work no longer released. A database
# or Redis that is away is waited for (the lease keeps the slot meanwhile, then the sweeper takes over).
@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    autoretry_for=INFRASTRUCTURE_ERRORS,
    retry_backoff=2,
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=None,
)
def run_lane_work(work_id: int, version: int | None = None) -> None:
    lane_work_run(work_id=work_id, version=version)
