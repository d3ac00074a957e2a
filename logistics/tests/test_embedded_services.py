"""`make run` and `make test` run through scripts/with_services.py: a configured server must
answer, and where nothing answers it starts embedded PostgreSQL and Redis from the pinned wheels,
which carry the whole order flow and stop when the command ends.

"Nothing answers" is played by pointing the local ports at free ones (LOCAL_POSTGRES_PORT,
LOCAL_REDIS_PORT): the machine's own servers keep running for everyone else."""

import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

WITH_SERVICES = [sys.executable, "scripts/with_services.py"]


def free_port() -> int:
    for _ in range(200):
        port = random.randint(20000, 32000)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port")


def answers(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def clean_env(**overrides: str) -> dict[str, str]:
    """This test run's environment less what would steer the servers or the inner pytest."""
    dropped = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "LOCAL_", "EMBEDDED_", "PYTEST_", "TEST_DATABASE")
    env = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
    return env | overrides


def run(command: list[str], env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own script and interpreter
        [*WITH_SERVICES, *command], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.mark.parametrize(
    ("variable", "url"),
    [
        ("DATABASE_URL", "postgres://app:s3cret@127.0.0.1:{port}/logistics"),
        ("REDIS_URL", "redis://127.0.0.1:{port}/0"),
        ("CELERY_BROKER_URL", "amqp://app:s3cret@127.0.0.1:{port}/logistics"),
    ],
)
def test_an_unreachable_configured_server_is_an_error_not_a_fallback(variable, url, tmp_path):
    port = free_port()
    url = url.format(port=port)
    marker = tmp_path / "ran"

    result = run(["touch", str(marker)], clean_env(**{variable: url}, EMBEDDED_SERVICES_DIR=str(tmp_path / "e")))

    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"error: {variable} is set to {url.replace('s3cret', '***')}, but nothing answers on 127.0.0.1:{port}; "
        f"start that server or unset {variable} to use a local one"
    ]
    assert not marker.exists()
    assert not (tmp_path / "e").exists()  # nothing embedded was started in its place


def test_servers_that_answer_are_used_and_nothing_is_started(tmp_path):
    db = connection.settings_dict
    env = clean_env(
        LOCAL_POSTGRES_PORT=str(db["PORT"] or 5432),
        LOCAL_REDIS_PORT=str(settings.REDIS_URL.rsplit(":", 1)[1].split("/")[0]),
        EMBEDDED_SERVICES_DIR=str(tmp_path / "e"),
    )

    result = run(["sh", "-c", "echo ran"], env)

    assert result.returncode == 0, result.stderr
    assert result.stdout == "ran\n"
    assert not (tmp_path / "e").exists()


@pytest.mark.e2e
def test_the_order_flow_runs_on_embedded_servers_which_stop_at_the_end(tmp_path):
    pg_port, redis_port = free_port(), free_port()
    data = tmp_path / "embedded"
    env = clean_env(
        LOCAL_POSTGRES_PORT=str(pg_port),
        LOCAL_REDIS_PORT=str(redis_port),
        EMBEDDED_SERVICES_DIR=str(data),
        TEST_DATABASE_NAME="test_embedded",
        DJANGO_SETTINGS_MODULE="logistics.settings.test",
    )
    inner = [sys.executable, "-m", "pytest", "apps/fulfillment/tests/test_end_to_end.py", "--create-db", "-q"]
    inner += ["-p", "no:cacheprovider", "-p", "no:xdist"]

    started = time.monotonic()
    result = run(inner, env, timeout=240)
    seconds = time.monotonic() - started

    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert result.stdout.splitlines()[0] == (
        f"Nothing answered, so started an embedded PostgreSQL on 127.0.0.1:{pg_port} and Redis on "
        f"127.0.0.1:{redis_port} (data in {data}, stopped on exit)"
    )
    assert "1 passed" in result.stdout
    assert (data / "postgres" / "data" / "PG_VERSION").exists()
    assert not answers(pg_port) and not answers(redis_port)
    assert not (data / "postgres" / "data" / "postmaster.pid").exists()  # a clean shutdown
    print(f"order flow on embedded servers: {seconds:.1f} s")


def test_a_stop_signal_reaches_the_command_and_then_stops_the_servers(tmp_path):
    pg_port, redis_port = free_port(), free_port()
    env = clean_env(
        LOCAL_POSTGRES_PORT=str(pg_port), LOCAL_REDIS_PORT=str(redis_port), EMBEDDED_SERVICES_DIR=str(tmp_path)
    )
    wrapper = subprocess.Popen(  # noqa: S603 - our own script
        [*WITH_SERVICES, "sh", "-c", "trap 'echo stopping; exit 3' TERM; echo up; while :; do sleep 0.1; done"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert wrapper.stdout.readline().startswith("Nothing answered, so started an embedded PostgreSQL")
        assert wrapper.stdout.readline() == "up\n"
        assert answers(pg_port) and answers(redis_port)

        wrapper.send_signal(signal.SIGTERM)

        assert wrapper.wait(timeout=60) == 3
        assert wrapper.stdout.read() == "stopping\n"
        assert not answers(pg_port) and not answers(redis_port)
    finally:
        if wrapper.poll() is None:
            wrapper.kill()
    assert Path(tmp_path / "postgres" / "data" / "PG_VERSION").exists()


def test_the_servers_do_not_outlive_a_wrapper_killed_outright(tmp_path):
    pg_port, redis_port = free_port(), free_port()
    env = clean_env(
        LOCAL_POSTGRES_PORT=str(pg_port), LOCAL_REDIS_PORT=str(redis_port), EMBEDDED_SERVICES_DIR=str(tmp_path)
    )
    wrapper = subprocess.Popen(  # noqa: S603 - our own script
        [*WITH_SERVICES, "sh", "-c", "echo up; exec sleep 60"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,  # so that the command's sleep can be ended with it
    )
    try:
        assert wrapper.stdout.readline().startswith("Nothing answered")
        assert wrapper.stdout.readline() == "up\n"

        wrapper.kill()  # SIGKILL: no handler, no cleanup of its own

        wrapper.wait(timeout=10)
        deadline = time.monotonic() + 30
        while (answers(pg_port) or answers(redis_port)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not answers(pg_port) and not answers(redis_port)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(wrapper.pid, signal.SIGKILL)  # the command left behind
