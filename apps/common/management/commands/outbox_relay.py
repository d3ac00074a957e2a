import contextlib
import logging
import signal
import time

import psycopg
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import DatabaseError, InterfaceError, OperationalError, connection

from apps.common import outbox
from apps.common.exceptions import INFRASTRUCTURE_ERRORS

logger = logging.getLogger(__name__)

# How often the relay looks for deliveries due for a check (an indexed range on a small table).
REDELIVER_SWEEP_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 30.0


class Command(BaseCommand):
    help = (
        "Relay committed outbox events to Celery, polling the outbox every OUTBOX_RELAY_POLL_SECONDS, and "
        "publish again the messages whose subscribers did not finish within OUTBOX_REDELIVER_SECONDS."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="relay what is pending, then exit")

    def handle(self, *args, **options):
        if options["once"]:
            relayed = self._relay_all()
            checked = self._redeliver_all()
            self.stdout.write(f"relayed {relayed} events, checked {checked} deliveries")
            return
        self.stopping = False

        def stop(*_):
            self.stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        params = connection.get_connection_params()
        for key in ("cursor_factory", "context", "prepare_threshold"):
            params.pop(key, None)
        self.stdout.write("outbox relay listening")
        outage: str | None = None
        backoff = 1.0
        next_sweep = 0.0
        while not self.stopping:
            try:
                with psycopg.connect(autocommit=True, **params) as listener:
                    listener.execute(f"LISTEN {outbox.NOTIFY_CHANNEL}")
                    while not self.stopping:
                        self._relay_all()
                        if time.monotonic() >= next_sweep:
                            self._redeliver_all()
                            next_sweep = time.monotonic() + REDELIVER_SWEEP_SECONDS
                        if outage is not None:
                            logger.warning("outbox relay: %s answers again; relaying", outage)
                            outage, backoff = None, 1.0
                        # Polling is what finds new events (docs/adr/0004); a NOTIFY on the channel,
                        # from an operator or a script, still wakes the relay at once.
                        for _ in listener.notifies(timeout=settings.OUTBOX_RELAY_POLL_SECONDS, stop_after=1):
                            pass
            # Either store away: the events stay unrelayed (their transaction rolled back) and go
            # out once it is back. Logged once per outage, retried with backoff.
            except (psycopg.OperationalError, OperationalError, InterfaceError) as exc:
                with contextlib.suppress(DatabaseError):  # a dead connection may refuse to close cleanly
                    connection.close()
                outage = self._outage("PostgreSQL", exc, outage)
            except (*INFRASTRUCTURE_ERRORS, OSError) as exc:
                outage = self._outage("the broker (Redis)", exc, outage)
            except Exception:
                logger.exception("outbox relay round failed; retrying")
            self._sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)

    def _outage(self, store: str, exc: Exception, outage: str | None) -> str:
        if outage != store:
            logger.warning("outbox relay: %s does not answer (%s); events stay unrelayed, retrying", store, exc)
        return store

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.stopping and time.monotonic() < deadline:
            time.sleep(min(0.2, deadline - time.monotonic()))

    def _relay_all(self) -> int:
        total = 0
        while (count := outbox.relay_pending()) > 0:
            total += count
        return total

    def _redeliver_all(self, *, batch: int = 500) -> int:
        total = 0
        while (count := outbox.redeliver_due(limit=batch)) > 0:
            total += count
            if count < batch:
                break
        return total
