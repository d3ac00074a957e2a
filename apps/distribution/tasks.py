import random

from celery import shared_task

from apps.distribution import services
from apps.distribution.exceptions import CarrierTransientError

MAX_BOOKING_RETRIES = 6


def backoff_seconds(retries: int) -> float:
    """Exponential backoff with full jitter: spread retries so a recovering carrier is not stampeded."""
    return random.uniform(0, min(300, 2 ** (retries + 1)))


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=MAX_BOOKING_RETRIES)
def book_distribution_order(self, distribution_order_id: int) -> None:
    try:
        services.distribution_order_book(distribution_order_id=distribution_order_id)
    except CarrierTransientError as exc:
        if self.request.retries >= self.max_retries:
            services.distribution_order_fail_booking(
                distribution_order_id=distribution_order_id, reason=f"gave up after {self.request.retries + 1} tries: {exc}"
            )
            return
        raise self.retry(exc=exc, countdown=backoff_seconds(self.request.retries)) from exc


@shared_task(acks_late=True)
def poll_tracking() -> None:
    services.tracking_poll_due()
