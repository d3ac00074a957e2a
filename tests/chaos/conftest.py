"""Fixtures of the fault suite: private servers for the session, the platform per scenario (as
the Procfile runs it, or as a scenario's `chaos_platform(workers=N, env={...})` mark asks), the
scale (CHAOS_SCALE=small|full; CHAOS_UPLOAD=n for a bulk upload of n orders instead of the
scale's), a time bound per scenario, CHAOS_KEEP=1 to keep the scratch
directory (logs, data directory) after the run, and the figures each scenario reports
(printed at the end of the run; written to CHAOS_REPORT, docs/reliability.md under `make chaos`)."""

import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import psycopg
import pytest
import redis

from tests.chaos.harness import (
    PYTHON,
    REPO,
    SETTINGS,
    HarnessError,
    Platform,
    PostgresServer,
    RedisServer,
    free_port,
    scratch_dir,
)
from tests.chaos.report import write_report

TEMPLATE_DB = "chaos_template"


@dataclass(frozen=True)
class Scale:
    name: str
    rate: float  # new orders a second, while the load lasts
    lead: float  # load before the first fault
    tail: float  # load after the last fault
    redis_outage: float
    redis_gap: float  # from Redis back to its empty restart
    pg_outage: float
    kills: int  # SIGKILLs of a worker, one every `kill_every` seconds
    kill_every: float
    settle_seconds: float  # how long orders may take to settle once the load is over
    stall_seconds: float  # ... but no longer than this without any transition anywhere
    budget_seconds: int  # the whole scenario, start-up included
    sick_baseline: float  # a carrier slow, then down: load before it turns slow
    sick_slow: float  # ... while it answers 10x slower
    sick_down: float  # ... while it is down
    sick_back: float  # ... after it is back
    # Four workers pushing one carrier limited to this rate (burst twice that), below what the
    # machine can book: the shared two-core machine books about 2 a second through the whole
    # pipeline, whatever the limit (at 5/s: 1.74 bookings and 0.6 tracking polls a second, never
    # more than 2 calls in flight), so a limit of 20/s would never bind and prove nothing.
    lane_rate: int
    lane_seconds: float  # ... for about this long
    upload: int  # one merchant's bulk upload, while another merchant's orders arrive


SCALES = {
    "small": Scale(
        **dict(name="small", rate=1.5, lead=1, tail=3, redis_outage=5, redis_gap=8, pg_outage=4),
        **dict(kills=4, kill_every=2.5, settle_seconds=90, stall_seconds=15, budget_seconds=200),
        **dict(sick_baseline=5, sick_slow=5, sick_down=10, sick_back=5),
        **dict(lane_rate=1, lane_seconds=15, upload=300),
    ),
    "full": Scale(
        **dict(name="full", rate=3.0, lead=10, tail=20, redis_outage=30, redis_gap=20, pg_outage=10),
        **dict(kills=8, kill_every=10, settle_seconds=300, stall_seconds=90, budget_seconds=900),
        **dict(sick_baseline=30, sick_slow=30, sick_down=120, sick_back=30),
        **dict(lane_rate=2, lane_seconds=60, upload=5000),
    ),
}


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "chaos_platform(workers=1, env=None, budget_factor=1): run the scenario's platform with this many "
        "Celery worker processes on the events and carriers queues and these extra environment variables, "
        "within this multiple of the scale's time bound",
    )


@pytest.fixture(scope="session")
def scale() -> Scale:
    name = os.environ.get("CHAOS_SCALE", "small")
    if name not in SCALES:
        raise pytest.UsageError(f"CHAOS_SCALE is one of {sorted(SCALES)}, not {name!r}")
    if os.environ.get("CHAOS_UPLOAD"):
        return replace(SCALES[name], upload=int(os.environ["CHAOS_UPLOAD"]))
    return SCALES[name]


@pytest.fixture(autouse=True)
def fresh_redis_state():
    """The suite never touches the machine's Redis (this replaces the root conftest's fixture)."""


@dataclass
class Servers:
    root: Path
    pg: PostgresServer
    redis: RedisServer
    web_port: int
    merchant: dict  # the load's merchant, and its API key
    other_merchant: dict  # another merchant, whose orders arrive beside the load's

    def env(self, dbname: str) -> dict[str, str]:
        site = f"http://127.0.0.1:{self.web_port}"
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", str(self.root)),
            "LANG": "C.UTF-8",
            "PYTHONUNBUFFERED": "1",
            "DJANGO_SETTINGS_MODULE": SETTINGS,
            "DATABASE_URL": self.pg.url(dbname),
            "REDIS_URL": self.redis.url,
            "CELERY_BROKER_URL": self.redis.url,
            "SITE_URL": site,
            "SANDBOX_DELIVERY_SECONDS": "3",
            # Tracking comes by polling alone: the carriers' webhooks would double the work of a
            # shared two-core machine and are not what the faults are about.
            "SANDBOX_WEBHOOK_URL": "",
            "TRACKING_POLL_SECONDS": "1",
        }


@pytest.fixture(scope="session")
def servers():
    """A private PostgreSQL and Redis for the whole run, and a template database migrated and
    seeded once (its carriers point at the sandbox on the web port every scenario uses)."""
    root = scratch_dir("chaos-")
    root.chmod(0o755)  # the postgres user reaches its data directory through it
    pg, rds = PostgresServer(root), RedisServer(root)
    try:
        pg.init()
        pg.start()
        rds.start()
        web_port = free_port()
        with pg.admin() as admin:
            admin.execute(f"CREATE DATABASE {TEMPLATE_DB}")
        partial = Servers(root, pg, rds, web_port, {}, {})
        seeded = subprocess.run(  # noqa: S603 (our own interpreter and module)
            [PYTHON, "-m", "tests.chaos.seed"],
            cwd=REPO,
            env=partial.env(TEMPLATE_DB),
            capture_output=True,
            text=True,
            timeout=300,
        )
        if seeded.returncode != 0:
            raise HarnessError(f"migrating and seeding failed\n{seeded.stdout[-3000:]}\n{seeded.stderr[-3000:]}")
        merchants = json.loads(seeded.stdout.strip().splitlines()[-1])
        partial.merchant, partial.other_merchant = merchants["merchant"], merchants["other_merchant"]
        yield partial
    finally:
        rds.stop()
        pg.stop()
        if os.environ.get("CHAOS_KEEP"):
            print(f"\nchaos: kept {root} (logs, and the databases: start postgres on its data directory)")
        else:
            shutil.rmtree(root, ignore_errors=True)


def _servers_up(servers: Servers) -> None:
    for server in (servers.pg, servers.redis):
        if server.child is None or not server.child.alive():
            server.stop()
            server.start()
        server.resume()


class ScenarioTimeout(Exception):
    pass


@pytest.fixture
def platform(servers, request, scale):
    """The platform's processes on a fresh copy of the template database and an empty Redis,
    within the scenario's time bound; stopped (every process group) whatever happens."""
    dbname = f"chaos_{request.node.name.removeprefix('test_')[:40]}".lower()
    asked = request.node.get_closest_marker("chaos_platform")
    options = asked.kwargs if asked else {}
    budget = int(scale.budget_seconds * options.get("budget_factor", 1))

    def out_of_time(signum, frame):
        raise ScenarioTimeout(f"scenario ran past its bound of {budget} s")

    previous = signal.signal(signal.SIGALRM, out_of_time)
    signal.alarm(budget)
    workdir = servers.root / dbname
    workdir.mkdir()
    running = None
    try:
        _servers_up(servers)  # a scenario before this one may have left one stopped or paused
        redis.Redis.from_url(servers.redis.url).flushall()
        with servers.pg.admin() as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {dbname} WITH (FORCE)")
            admin.execute(f"CREATE DATABASE {dbname} TEMPLATE {TEMPLATE_DB}")
        running = Platform(
            workdir=workdir,
            env=servers.env(dbname) | options.get("env", {}),
            web_port=servers.web_port,
            workers=options.get("workers", 1),
        )
        running.dbname = dbname
        running.start()
        yield running
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        if running is not None:
            running.stop()
        with contextlib.suppress(Exception):
            _servers_up(servers)
            if not os.environ.get("CHAOS_KEEP"):
                with servers.pg.admin() as admin:
                    admin.execute(f"DROP DATABASE IF EXISTS {dbname} WITH (FORCE)")
        if request.node.stash.get(_failed, False):
            request.node.add_report_section("teardown", "platform output", running.output() if running else "")


@pytest.fixture
def db_conn(servers, platform):
    """A connection of the checker's own to the scenario's database."""
    with psycopg.connect(servers.pg.url(platform.dbname), autocommit=True, connect_timeout=5) as conn:
        yield conn


_figures = pytest.StashKey[dict]()
_failed = pytest.StashKey[bool]()
_results = pytest.StashKey[list]()


@pytest.fixture
def figures(request, scale):
    """What the scenario measured: printed, and reported at the end of the run."""
    recorded: dict = {"scale": scale.name}
    request.node.stash[_figures] = recorded
    began = time.monotonic()
    yield recorded
    recorded["scenario seconds"] = round(time.monotonic() - began, 1)
    print(f"\nchaos figures for {request.node.name}:\n{json.dumps(recorded, indent=2, default=str)}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.stash[_failed] = report.failed
        if _figures in item.stash:
            outcome = "xfailed" if hasattr(report, "wasxfail") and report.skipped else report.outcome
            if hasattr(report, "wasxfail") and report.passed:
                outcome = "xpassed"
            results = item.config.stash.setdefault(_results, [])
            results.append(
                {
                    "scenario": item.name,
                    "doc": (item.obj.__doc__ or "").strip(),
                    "outcome": outcome,
                    "xfail_reason": getattr(report, "wasxfail", ""),
                    "figures": item.stash[_figures],
                    "failure": str(call.excinfo.value)[:1500] if call.excinfo else "",
                }
            )
    return report


def pytest_terminal_summary(terminalreporter, config):
    results = config.stash.get(_results, [])
    if not results:
        return
    terminalreporter.section("chaos figures")
    for result in results:
        terminalreporter.write_line(f"{result['scenario']}: {result['outcome']}")
        terminalreporter.write_line(json.dumps(result["figures"], default=str))
    target = os.environ.get("CHAOS_REPORT")
    if target:
        sizes = asdict(SCALES[os.environ.get("CHAOS_SCALE", "small")])
        if os.environ.get("CHAOS_UPLOAD"):
            sizes["upload"] = int(os.environ["CHAOS_UPLOAD"])
        write_report(Path(target), results, scale=sizes)
        terminalreporter.write_line(f"written to {target}")
