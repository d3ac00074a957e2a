"""The gate's limits hold across threads and processes together, on Redis's clock."""

import subprocess
import sys
import threading
import time

from apps.scheduling import gate

_TAKE_FOR = """
import sys, time, django
django.setup()
from apps.scheduling import gate
print("ready", flush=True)
start = float(sys.stdin.readline())  # the parent names the instant once every process is ready
time.sleep(max(0.0, start - time.time()))  # every process starts taking at the same instant
end, granted = start + float(sys.argv[1]), 0
while time.time() < end:
    granted += gate.take_token(lane_key="carrier:proc", rate=5, burst=5).granted
    time.sleep(0.005)
print(granted)
"""


def _hammer(seconds: float, threads: int, call) -> list[int]:
    counts = [0] * threads

    def run(i):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            counts[i] += bool(call())
            time.sleep(0.002)

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return counts


def test_the_rate_holds_for_many_threads_together():
    granted = sum(_hammer(2.0, 6, lambda: gate.take_token(lane_key="carrier:threads", rate=10, burst=10).granted))

    # The burst at once, then ten a second: about 10 + 2 x 10, never the 6 threads' thousands of tries.
    assert 25 <= granted <= 32


def test_the_rate_holds_for_several_processes_together(settings):
    env = {"DJANGO_SETTINGS_MODULE": "logistics.settings.test", "REDIS_URL": settings.REDIS_URL}
    import os

    children = [
        subprocess.Popen(
            [sys.executable, "-c", _TAKE_FOR, "2.0"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, **env},
        )
        for _ in range(3)
    ]
    for child in children:  # a busy machine can take seconds to start a process: wait for each
        assert child.stdout.readline().strip() == "ready"
    start = time.time() + 0.5
    granted = sum(int(child.communicate(f"{start}\n", timeout=60)[0].strip().splitlines()[-1]) for child in children)

    # Five at once, then five a second for two seconds: about 15 among the three, never 3 x 15.
    assert 12 <= granted <= 18


def test_no_more_slots_than_the_limit_are_held_at_once():
    ids = iter(range(1, 10_000))
    lock = threading.Lock()

    def acquire():
        with lock:
            work_id = next(ids)
        return gate.acquire_slot(lane_key="carrier:slots", work_id=work_id, max_in_flight=3, lease_seconds=30).granted

    granted = sum(_hammer(0.5, 8, acquire))

    assert granted == 3
    assert gate.gate_state(lane_key="carrier:slots", max_in_flight=3).in_flight == 3


def test_an_expired_lease_frees_its_slot():
    assert gate.acquire_slot(lane_key="carrier:lease", work_id=1, max_in_flight=1, lease_seconds=0.2).granted
    assert not gate.acquire_slot(lane_key="carrier:lease", work_id=2, max_in_flight=1, lease_seconds=0.2).granted

    time.sleep(0.3)

    assert gate.acquire_slot(lane_key="carrier:lease", work_id=2, max_in_flight=1, lease_seconds=30).granted


def test_timeouts_cut_the_concurrency_and_good_calls_bring_it_back(settings):
    settings.LANE_ADAPTIVE_WINDOW = 2
    key = "carrier:adaptive"
    gate.release_slot(lane_key=key, work_id=1, max_in_flight=10, timed_out=True)
    gate.release_slot(lane_key=key, work_id=2, max_in_flight=10, timed_out=True)
    cut = gate.gate_state(lane_key=key, max_in_flight=10).limit

    for work_id in range(3, 7):
        gate.release_slot(lane_key=key, work_id=work_id, max_in_flight=10, latency_ms=50)

    assert cut == 4  # 10 → 7 → 4
    assert gate.gate_state(lane_key=key, max_in_flight=10).limit == 6


def test_an_unreachable_redis_is_an_error_not_a_yes(redis_down):
    import pytest

    with pytest.raises(gate.GateUnavailable):
        gate.take_token(lane_key="carrier:down", rate=10, burst=10)
    with pytest.raises(gate.GateUnavailable):
        gate.acquire_slot(lane_key="carrier:down", work_id=1, max_in_flight=1, lease_seconds=1)
