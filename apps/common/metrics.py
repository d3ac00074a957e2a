"""The platform's counters and histograms, counted where things happen (docs/operations.md#metrics).

prometheus_client keeps them per process; with `PROMETHEUS_MULTIPROC_DIR` set (make run sets it
for every process) each process writes them to files there and `/metrics` sums the files of
every gunicorn and Celery process (`logistics.metrics`). Facts that live in the database or
Redis (orders by state, lane depth, circuits, outbox lag) are not kept here: they are read when
`/metrics` is scraped.

Label values are bounded sets (view names, carrier codes, outcomes), never ids or paths.
"""

import os

from prometheus_client import Counter, Histogram

# A configured directory that is missing would make every increment fail (every request a 500).
if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

HTTP_REQUESTS = Counter(
    "logistics_http_requests",
    "Requests answered, by view (the resolved URL name), method and status.",
    ["view", "method", "status"],
)
HTTP_REQUEST_SECONDS = Histogram(
    "logistics_http_request_duration_seconds",
    "Time from the request reaching Django to its answer, by view.",
    ["view"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
BOOKING_ATTEMPTS = Counter(
    "logistics_booking_attempts",
    "Booking attempts at carriers, by carrier and what the call did: ok, refused (a 4xx), failed "
    "(5xx, 429, timeout, connection), or circuit_open (no call made).",
    ["carrier", "outcome"],
)
BOOKING_EFFECTS = Counter(
    "logistics_booking_effects",
    "What booking attempts did to their deliveries, by carrier: booked, deferred (back to the "
    "lane), booking_failed (for good: re-route), void_requested (booked after the leg was cancelled).",
    ["carrier", "effect"],
)
BOOKING_SECONDS = Histogram(
    "logistics_booking_call_duration_seconds",
    "Duration of booking calls to carriers, by carrier.",
    ["carrier"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
WEBHOOK_DELIVERIES = Counter(
    "logistics_webhook_deliveries",
    "Attempts to deliver merchant webhooks, by outcome: succeeded, failed (will retry), dead (gave up).",
    ["outcome"],
)
WEBHOOK_SECONDS = Histogram(
    "logistics_webhook_delivery_duration_seconds",
    "Duration of webhook delivery attempts.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
