from celery import shared_task

from apps.common.exceptions import INFRASTRUCTURE_ERRORS
from apps.distribution import services
from apps.distribution.exceptions import BookingDeferred, CarrierTransientError


# A task that cannot reach the database or Redis (restarting, paused, out of connections) is
# retried with backoff rather than dropped: both are idempotent at the carrier, and a dropped
# booking would leave the parcel waiting until someone nudges it by hand.
@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=INFRASTRUCTURE_ERRORS,
    retry_backoff=2,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=None,  # as long as the database or Redis stays away, every ten minutes at most
)
def book_distribution_order(self, distribution_order_id: int) -> None:
    # The service bounds the carrier attempts; a deferral (circuit open, carrier failing) only waits.
    try:
        services.distribution_order_book(distribution_order_id=distribution_order_id)
    except BookingDeferred as exc:
        raise self.retry(exc=exc, countdown=exc.retry_in) from exc


@shared_task(
    acks_late=True,
    autoretry_for=(CarrierTransientError, *INFRASTRUCTURE_ERRORS),
    retry_backoff=2,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=10,
)
def void_at_carrier(distribution_order_id: int) -> None:
    services.distribution_order_void_at_carrier(distribution_order_id=distribution_order_id)


@shared_task(acks_late=True)
def poll_tracking() -> None:
    services.tracking_poll_due()
