"""Several processes make ids at once: together at least a million, none twice, each increasing."""

import subprocess
import sys
from array import array

import pytest

from apps.common.ids import decompose
from apps.common.testing import process_env

PROCESSES, PER_PROCESS = 4, 262_144

CHILD = """
import sys
from array import array
import django
django.setup()
from apps.common.ids import new_id
ids = array("q", (new_id() for _ in range(int(sys.argv[1]))))
assert all(a < b for a, b in zip(ids, ids[1:])), "ids of one process must increase"
with open(sys.argv[2], "wb") as out:
    ids.tofile(out)
"""


@pytest.mark.django_db(transaction=True)
def test_concurrent_processes_never_make_the_same_id(tmp_path):
    files = [tmp_path / f"ids-{n}.bin" for n in range(PROCESSES)]
    children = [
        subprocess.Popen([sys.executable, "-c", CHILD, str(PER_PROCESS), str(path)], env=process_env())
        for path in files
    ]
    assert [child.wait(timeout=120) for child in children] == [0] * PROCESSES

    per_process = []
    for path in files:
        ids = array("q")
        with open(path, "rb") as source:
            ids.fromfile(source, PER_PROCESS)
        per_process.append(ids)
    everything = [value for ids in per_process for value in ids]

    assert len(everything) >= 1_000_000
    assert len(set(everything)) == len(everything)
    assert len({decompose(ids[0]).worker for ids in per_process}) == PROCESSES
    assert all(list(ids) == sorted(ids) for ids in per_process)
