"""Helpers for tests: real concurrency against PostgreSQL, the sandbox's key, and how hard a
property test searches."""

import os
import threading
from collections.abc import Callable
from typing import Any

from django.db import connection


def examples(count: int) -> int:
    """Hypothesis examples for a property test: `count` in the main run, a fifth (at least 20) in
    `make test`'s reruns with the clock on other dates (TEST_CLOCK): they check the date, and the
    search was done once already."""
    return max(count // 5, 20) if os.environ.get("TEST_CLOCK") else count


def sandbox_headers() -> dict[str, str]:
    """What a test calling the sandbox carriers directly sends: their API key, as the gateway does."""
    from django.conf import settings

    return {"Authorization": f"Bearer {settings.SANDBOX_API_KEY}"}


def run_concurrently(*calls: Callable[[], Any]) -> list[Any]:
    """Start every call at the same moment, each in its own thread with its own database
    connection; return what each returned, or the exception it raised, in order."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            outcomes[index] = call()
        except Exception as exc:
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def process_env(**overrides: str) -> dict[str, str]:
    """Environment for a child process (worker, beat, relay) that works on the test database."""
    import os

    from django.conf import settings

    db = connection.settings_dict
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "logistics.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        **overrides,
    }


CELERY = ["-m", "celery", "-A", "logistics"]


def worker_command(*, queues: str = "events,events_bulk,carriers", concurrency: int = 2) -> list[str]:
    import sys

    return [
        sys.executable,
        *CELERY,
        "worker",
        "-Q",
        queues,
        "--concurrency",
        str(concurrency),
        "--loglevel",
        "INFO",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]


class Processes:
    """Child processes started for a test, with their output kept for the failure message."""

    def __init__(self, commands: dict[str, list[str]], *, log_dir, env: dict[str, str]) -> None:
        import subprocess

        from django.conf import settings

        self.logs = {name: open(log_dir / f"{name}.log", "w+") for name in commands}  # noqa: SIM115
        self.procs = {
            name: subprocess.Popen(
                command, cwd=settings.BASE_DIR, env=env, stdout=self.logs[name], stderr=subprocess.STDOUT
            )
            for name, command in commands.items()
        }

    def children_of(self, name: str) -> list[int]:
        pid = self.procs[name].pid
        try:
            with open(f"/proc/{pid}/task/{pid}/children") as children:
                return [int(p) for p in children.read().split()]
        except FileNotFoundError:
            return []

    def output(self) -> str:
        parts = []
        for name, log in self.logs.items():
            log.flush()
            log.seek(0)
            parts.append(f"--- {name} ---\n{log.read()[-4000:]}")
        return "\n".join(parts)

    def stop(self) -> None:
        import subprocess

        for proc in self.procs.values():
            proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for log in self.logs.values():
            log.close()


def wait_for(condition: Callable[[], Any], *, seconds: float, what: str, processes: Processes) -> Any:
    """`condition()` once it is truthy; fails after `seconds` with the processes' output."""
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}\n{processes.output()}")


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_browser():
    """A generator for a module-scoped pytest fixture: Debian's chromium driven by Playwright's
    sync API (as the portal's browser tests launch it), or a skip when it is not installed."""
    import os
    from pathlib import Path

    import pytest
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium; `make test` installs it when it may)")
    # Playwright's sync API runs an event loop in this thread, and Django refuses database calls
    # from a thread with a running loop unless told that this one is synchronous code after all.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous
