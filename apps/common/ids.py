"""Global 64-bit ids, time-ordered, made without a database round trip per id.

Layout (63 bits, so ids stay positive in a signed bigint):
    41 bits milliseconds since EPOCH | 4 bits shard | 8 bits worker | 10 bits sequence

A process leases its worker number from the `common_idworkerlease` table on first use and
renews the lease at half its life, so two live processes never share one. A clock that steps
backwards never repeats an id: the generator keeps its own high-water millisecond and borrows
from the future when the sequence runs out.
"""

import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass

EPOCH_MS = 1767225600000  # 2026-01-01T00:00:00Z
SHARD_BITS = 4
WORKER_BITS = 8
SEQUENCE_BITS = 10
MAX_WORKERS = 1 << WORKER_BITS
MAX_SEQUENCE = (1 << SEQUENCE_BITS) - 1
WORKER_SHIFT = SEQUENCE_BITS
SHARD_SHIFT = SEQUENCE_BITS + WORKER_BITS
TIME_SHIFT = SEQUENCE_BITS + WORKER_BITS + SHARD_BITS
LEASE_SECONDS = 600


@dataclass(frozen=True)
class IdParts:
    milliseconds: int
    shard: int
    worker: int
    sequence: int

    @property
    def unix_ms(self) -> int:
        return self.milliseconds + EPOCH_MS


def compose(*, milliseconds: int, shard: int, worker: int, sequence: int) -> int:
    return (milliseconds << TIME_SHIFT) | (shard << SHARD_SHIFT) | (worker << WORKER_SHIFT) | sequence


def decompose(value: int) -> IdParts:
    return IdParts(
        milliseconds=value >> TIME_SHIFT,
        shard=(value >> SHARD_SHIFT) & ((1 << SHARD_BITS) - 1),
        worker=(value >> WORKER_SHIFT) & (MAX_WORKERS - 1),
        sequence=value & MAX_SEQUENCE,
    )


class WorkerLease:
    """A worker number held in PostgreSQL through a separate autocommit connection, so a
    caller's rolled-back transaction can never undo the lease."""

    def __init__(self) -> None:
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.worker: int | None = None
        self.renew_at = 0.0
        self.valid_until = 0.0

    def _connect(self):
        import psycopg
        from django.db import connection

        params = connection.get_connection_params()
        params.pop("cursor_factory", None)
        params.pop("context", None)
        params.pop("prepare_threshold", None)
        return psycopg.connect(autocommit=True, **params)

    def current(self) -> int:
        now = time.monotonic()
        if self.worker is not None and now < self.renew_at:
            return self.worker
        with self._connect() as conn:
            if self.worker is not None and self._renew(conn):
                return self.worker
            self.worker = self._acquire(conn)
        return self.worker

    def _stamp(self) -> None:
        now = time.monotonic()
        self.renew_at = now + LEASE_SECONDS / 2
        self.valid_until = now + LEASE_SECONDS

    def _renew(self, conn) -> bool:
        row = conn.execute(
            "UPDATE common_idworkerlease SET expires_at = now() + make_interval(secs => %s) "
            "WHERE worker_id = %s AND holder = %s AND expires_at > now() RETURNING worker_id",
            (LEASE_SECONDS, self.worker, self.holder),
        ).fetchone()
        if row:
            self._stamp()
        return row is not None

    def _acquire(self, conn) -> int:
        for _ in range(MAX_WORKERS):
            row = conn.execute(
                """
                INSERT INTO common_idworkerlease (worker_id, holder, expires_at)
                SELECT g, %(holder)s, now() + make_interval(secs => %(ttl)s)
                FROM generate_series(0, %(top)s) AS g
                WHERE NOT EXISTS (
                    SELECT 1 FROM common_idworkerlease l WHERE l.worker_id = g AND l.expires_at > now()
                )
                ORDER BY random() LIMIT 1
                ON CONFLICT (worker_id) DO UPDATE
                    SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
                    WHERE common_idworkerlease.expires_at <= now()
                RETURNING worker_id
                """,
                {"holder": self.holder, "ttl": LEASE_SECONDS, "top": MAX_WORKERS - 1},
            ).fetchone()
            if row:
                self._stamp()
                return row[0]
        raise RuntimeError("every id worker number is leased; raise WORKER_BITS or retire processes")


class IdGenerator:
    def __init__(self, *, shard: int = 0, lease: WorkerLease | None = None, clock=time.time) -> None:
        self.shard = shard
        self.lease = lease or WorkerLease()
        self.clock = clock
        self.lock = threading.Lock()
        self.last_ms = -1
        self.sequence = 0

    def next(self) -> int:
        with self.lock:
            worker = self.lease.current()
            now_ms = int(self.clock() * 1000) - EPOCH_MS
            if now_ms > self.last_ms:
                self.last_ms, self.sequence = now_ms, 0
            elif self.sequence < MAX_SEQUENCE:
                self.sequence += 1
            else:
                # Same (or an earlier) millisecond with the sequence spent: move on to the next
                # millisecond rather than wait, so a backwards clock never stalls nor repeats.
                self.last_ms, self.sequence = self.last_ms + 1, 0
            return compose(milliseconds=self.last_ms, shard=self.shard, worker=worker, sequence=self.sequence)


_generator: IdGenerator | None = None
_generator_lock = threading.Lock()


def _forget_after_fork() -> None:
    # A forked child must never reuse its parent's worker number.
    global _generator
    _generator = None


os.register_at_fork(after_in_child=_forget_after_fork)


def new_id() -> int:
    """The next global id of this process."""
    global _generator
    if _generator is None:
        with _generator_lock:
            if _generator is None:
                _generator = IdGenerator()
    return _generator.next()
