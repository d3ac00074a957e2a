"""A merchant's webhook receiver on 127.0.0.1, for tests that send over real HTTP."""

import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from apps.common import outbox
from apps.common.models import OutboxEvent


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Records each request and answers the queued statuses (then 200)."""

    url: str
    requests: list[Received] = field(default_factory=list)
    statuses: deque = field(default_factory=deque)
    delay_seconds: float = 0.0
    drip_seconds: float = 0.0  # between the bytes of the answer's body

    def answer(self, *statuses: int) -> None:
        self.statuses.extend(statuses)


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    state: dict = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            hook = state["receiver"]
            hook.requests.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            status = hook.statuses.popleft() if hook.statuses else 200
            time.sleep(hook.delay_seconds)
            self.send_response(status)
            if status in (301, 302, 307):
                self.send_header("Location", f"{hook.url}elsewhere/")
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            answer = f"answered {status}".encode()
            if not hook.drip_seconds:
                self.wfile.write(answer)
                return
            for byte in answer:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(hook.drip_seconds)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state["receiver"] = Receiver(url=f"http://127.0.0.1:{server.server_port}/hooks/")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state["receiver"]
    finally:
        server.shutdown()
        server.server_close()


def fan_out_pending() -> int:
    """Run this app's outbox subscribers for every event so far (as the relay's workers would)."""
    ran = 0
    for event_id, event_type in OutboxEvent.objects.order_by("id").values_list("id", "event_type"):
        for sub in outbox.subscriptions_for(event_type):
            if sub.name.startswith("apps.webhooks."):
                ran += outbox.run_subscription(event_id=event_id, name=sub.name)
    return ran
