import logging
import signal
import time

import psycopg
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection

from apps.common import outbox

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Relay committed outbox events to Celery, polling the outbox every OUTBOX_RELAY_POLL_SECONDS."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="relay what is pending, then exit")

    def handle(self, *args, **options):
        if options["once"]:
            self.stdout.write(f"relayed {self._relay_all()} events")
            return
        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        params = connection.get_connection_params()
        for key in ("cursor_factory", "context", "prepare_threshold"):
            params.pop(key, None)
        self.stdout.write("outbox relay listening")
        while not stopping:
            try:
                with psycopg.connect(autocommit=True, **params) as listener:
                    listener.execute(f"LISTEN {outbox.NOTIFY_CHANNEL}")
                    while not stopping:
                        self._relay_all()
                        # Polling is what finds new events (docs/adr/0004); a NOTIFY on the channel,
                        # from an operator or a script, still wakes the relay at once.
                        for _ in listener.notifies(timeout=settings.OUTBOX_RELAY_POLL_SECONDS, stop_after=1):
                            pass
            except (psycopg.OperationalError, OSError) as exc:
                logger.warning("outbox relay lost its connection (%s); retrying", exc)
                connection.close()
                time.sleep(1)
            except Exception:
                # Redis down or similar: events stay unrelayed and go out on a later round.
                logger.exception("outbox relay round failed; retrying")
                time.sleep(1)

    def _relay_all(self) -> int:
        total = 0
        while (count := outbox.relay_pending()) > 0:
            total += count
        return total
