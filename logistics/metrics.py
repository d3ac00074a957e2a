"""`/metrics`: the platform in Prometheus' text format, for a scraper holding `METRICS_TOKEN`.

Two kinds of figures (docs/operations.md#metrics):

- counters and histograms counted where things happen (`apps.common.metrics`: requests by view,
  booking attempts and effects, webhook deliveries). With `PROMETHEUS_MULTIPROC_DIR` set, every
  process (each gunicorn worker, each Celery pool process) writes its own files there and a
  scrape sums them all, whichever worker answers it;
- facts that live in PostgreSQL and Redis (orders by state, lane depth, circuits, outbox lag),
  read at scrape time by `PlatformFacts`, so they are the same whoever answers and need no
  process to keep them. Each read is cheap: open orders are counted on the state index, closed
  ones estimated from PostgreSQL's statistics; lanes and outbox lag come from partial indexes;
  circuits are one Redis read per carrier lane.
"""

import hmac
import os
import time

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from apps.common.outbox import outbox_lag
from apps.distribution.selectors import carrier_circuit
from apps.orders.selectors import order_counts_closed_estimate, order_counts_open
from apps.scheduling.selectors import lane_depths

CIRCUIT_STATES = ("closed", "half-open", "open", "unknown")


def _age_seconds(moment) -> float:
    return max(0.0, (timezone.now() - moment).total_seconds()) if moment else 0.0


class PlatformFacts:
    """Gauges read from the database and Redis when scraped."""

    def collect(self):
        started = time.perf_counter()

        orders = GaugeMetricFamily("logistics_orders", "Live orders in each open state (exact).", labels=["state"])
        for state, count in order_counts_open().items():
            orders.add_metric([state], count)
        yield orders
        closed = GaugeMetricFamily(
            "logistics_orders_closed_estimate",
            "Live (not yet archived) orders in each closed state, estimated from PostgreSQL's statistics.",
            labels=["state"],
        )
        for state, count in order_counts_closed_estimate().items():
            closed.add_metric([state], count)
        yield closed

        depths = lane_depths()
        work = GaugeMetricFamily("logistics_lane_work", "Lane work waiting or under way.", labels=["lane", "state"])
        oldest = GaugeMetricFamily(
            "logistics_lane_oldest_queued_seconds", "Age of the lane's oldest queued work (0: none).", labels=["lane"]
        )
        paused = GaugeMetricFamily("logistics_lane_paused", "1 while operations pause the lane.", labels=["lane"])
        for depth in depths:
            work.add_metric([depth.lane, "queued"], depth.queued)
            work.add_metric([depth.lane, "released"], depth.released)
            oldest.add_metric([depth.lane], _age_seconds(depth.oldest_queued_at))
            paused.add_metric([depth.lane], int(depth.paused))
        yield from (work, oldest, paused)

        circuit = GaugeMetricFamily(
            "logistics_carrier_circuit_state",
            "The carrier's circuit breaker: 1 for its current state (unknown while Redis does not answer).",
            labels=["carrier", "state"],
        )
        failures = GaugeMetricFamily(
            "logistics_carrier_circuit_failures", "Failures in a row the breaker has counted.", labels=["carrier"]
        )
        redis_down = False
        for code in sorted({d.downstream_code for d in depths if d.downstream_kind == "carrier"}):
            # One unanswered read is enough: the others would each wait out the same timeout.
            status = None if redis_down else carrier_circuit(carrier_code=code)
            state = status.state if status else "unknown"
            redis_down = state == "unknown"
            for candidate in CIRCUIT_STATES:
                circuit.add_metric([code, candidate], int(candidate == state))
            failures.add_metric([code], status.failures if status else 0)
        yield from (circuit, failures)

        lag = outbox_lag()
        yield GaugeMetricFamily("logistics_outbox_unrelayed_events", "Committed events not yet relayed.", lag.unrelayed)
        yield GaugeMetricFamily(
            "logistics_outbox_oldest_unrelayed_seconds",
            "Age of the oldest unrelayed event (0: none): the relay's lag.",
            _age_seconds(lag.oldest_unrelayed_at),
        )
        yield GaugeMetricFamily(
            "logistics_outbox_deliveries_waiting",
            "Published messages whose subscriber has not yet been checked off.",
            lag.deliveries_waiting,
        )
        yield GaugeMetricFamily(
            "logistics_outbox_deliveries_published_again",
            "Messages published more than once because their subscriber had not finished in time.",
            lag.deliveries_published_again,
        )
        yield GaugeMetricFamily(
            "logistics_metrics_scrape_seconds",
            "Time taken to read these database and Redis facts.",
            time.perf_counter() - started,
        )


class _ThisProcess:
    """Without a multiprocess directory (tests, a single process): this process's own figures."""

    def collect(self):
        yield from REGISTRY.collect()


def exposition() -> bytes:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    registry.register(PlatformFacts())
    return generate_latest(registry)


def _refusal(status: int, message: str) -> HttpResponse:
    response = HttpResponse(message + "\n", status=status, content_type="text/plain; charset=utf-8")
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
    return response


def metrics_view(request):
    """The exposition for a request with `Authorization: Bearer <METRICS_TOKEN>`; 401 without the
    right token, 403 to everyone while no token is set. Where the request comes from does not
    matter: localhost needs the token too."""
    expected = settings.METRICS_TOKEN
    if not expected:
        return _refusal(403, "Metrics are off: set METRICS_TOKEN.")
    scheme, _, given = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected.encode()):
        return _refusal(401, "Metrics need the bearer token.")
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
