import itertools

import pytest

from apps.common import ids
from apps.common.ids import IdGenerator, WorkerLease, compose, decompose


class FixedLease(WorkerLease):
    def __init__(self, worker: int) -> None:
        super().__init__()
        self.worker = worker

    def current(self) -> int:
        return self.worker


def test_parts_round_trip():
    value = compose(milliseconds=123456789, shard=3, worker=200, sequence=1000)

    assert decompose(value) == ids.IdParts(milliseconds=123456789, shard=3, worker=200, sequence=1000)
    assert 0 < value < 2**63


def test_ids_increase_within_a_process_and_carry_the_time():
    clock = itertools.count(1_800_000_000.000, 0.0004).__next__  # several ids per millisecond
    generator = IdGenerator(lease=FixedLease(5), clock=clock)

    values = [generator.next() for _ in range(5000)]

    assert values == sorted(values) and len(set(values)) == len(values)
    assert decompose(values[0]).unix_ms == 1_800_000_000_000
    assert {decompose(v).worker for v in values} == {5}


def test_a_clock_stepping_backwards_never_repeats_an_id():
    times = iter([2_000_000_000.0] * 3 + [1_999_999_990.0] * 2000 + [2_000_000_000.0] * 5)
    generator = IdGenerator(lease=FixedLease(1), clock=lambda: next(times))

    values = [generator.next() for _ in range(2008)]

    assert len(set(values)) == len(values)
    assert values == sorted(values)


def test_the_sequence_running_out_moves_to_the_next_millisecond():
    generator = IdGenerator(lease=FixedLease(1), clock=lambda: 2_000_000_000.0)

    values = [generator.next() for _ in range(ids.MAX_SEQUENCE + 3)]

    assert len(set(values)) == len(values)
    assert decompose(values[-1]).milliseconds == decompose(values[0]).milliseconds + 1


@pytest.mark.django_db(transaction=True)
def test_two_leases_never_share_a_worker_number():
    first, second = WorkerLease(), WorkerLease()

    assert first.current() != second.current()
    assert first.current() == first.worker  # a held lease is kept, not re-acquired
