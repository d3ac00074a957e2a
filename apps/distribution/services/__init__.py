"""Writes of the distribution center: booking (`booking`), cancelling and voiding at the carrier
(`cancelling`), the carrier's label (`labels`) and tracking (`tracking`). Callers import from here."""

from apps.distribution.services.booking import (
    backoff_seconds,
    distribution_order_book,
    distribution_order_create,
    distribution_order_fail_booking,
    distribution_order_retry,
)
from apps.distribution.services.cancelling import distribution_order_cancel, distribution_order_void_at_carrier
from apps.distribution.services.labels import distribution_order_fetch_label, distribution_order_request_label
from apps.distribution.services.tracking import (
    carrier_webhook_secret_set,
    tracking_apply,
    tracking_poll,
    tracking_webhook_receive,
)

__all__ = [
    "backoff_seconds",
    "carrier_webhook_secret_set",
    "distribution_order_book",
    "distribution_order_cancel",
    "distribution_order_create",
    "distribution_order_fail_booking",
    "distribution_order_fetch_label",
    "distribution_order_request_label",
    "distribution_order_retry",
    "distribution_order_void_at_carrier",
    "tracking_apply",
    "tracking_poll",
    "tracking_webhook_receive",
]
