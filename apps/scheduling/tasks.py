from celery import shared_task

from apps.scheduling.services import lane_release_all


@shared_task(acks_late=True, ignore_result=True)
def release_lanes() -> None:
    lane_release_all()
