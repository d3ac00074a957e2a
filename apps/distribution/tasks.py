from celery import shared_task

from apps.distribution import services
from apps.distribution.exceptions import BookingDeferred, CarrierTransientError


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def book_distribution_order(self, distribution_order_id: int) -> None:
    # The service bounds the attempts; a deferral (circuit open, carrier failing) only waits.
    try:
        services.distribution_order_book(distribution_order_id=distribution_order_id)
    except BookingDeferred as exc:
        raise self.retry(exc=exc, countdown=exc.retry_in) from exc


@shared_task(acks_late=True, autoretry_for=(CarrierTransientError,), retry_backoff=2, retry_jitter=True, max_retries=10)
def void_at_carrier(distribution_order_id: int) -> None:
    services.distribution_order_void_at_carrier(distribution_order_id=distribution_order_id)


@shared_task(acks_late=True)
def poll_tracking() -> None:
    services.tracking_poll_due()
