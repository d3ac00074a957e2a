"""Ids per second from apps.common.ids.new_id, in one process and in two at once.

DJANGO_SETTINGS_MODULE=logistics.settings.dev .venv/bin/python bench/ids.py
"""

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COUNT = 1_000_000
CHILD = (
    "import sys, time, django; django.setup(); from apps.common.ids import new_id; new_id(); "
    "t = time.perf_counter(); [new_id() for _ in range(int(sys.argv[1]))]; print(time.perf_counter() - t)"
)


def run(processes: int) -> float:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "logistics.settings.dev")}
    started = time.perf_counter()
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, str(COUNT)], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(processes)
    ]
    for child in children:
        child.communicate()
    return processes * COUNT / (time.perf_counter() - started)


if __name__ == "__main__":
    for processes in (1, 2):
        print(f"{processes} process(es): {run(processes):,.0f} ids/s ({COUNT:,} ids each, process start included)")
