"""Cluster-wide locks for work that must happen once across hub workers (timers, sweeps, ordered passes).

Several hub processes may share one PostgreSQL (scale-out on ``$share`` subscriptions). A ``ClusterLock`` is a
PostgreSQL *session* advisory lock held on a connection of its own for the length of one pass: a worker that
dies (even ``kill -9``) drops its connection and PostgreSQL releases the lock at once, so no lease expiry or
fencing is needed. On SQLite there is only ever one worker (one file, one writer), so the lock is always granted.

Two ways to use it:
- ``held(wait_s=0)`` (try once): periodic jobs that must run once per period across workers (escalation
  sweep, welfare watch, downlink re-send sweep). A worker that does not get it skips the period: another
  worker is doing exactly that work right now.
- ``held(wait_s=...)`` (queue for it): passes that must not run concurrently but must not be skipped either
  (case intake, dispatch, device actions): a worker rung for new work waits for the current holder to finish,
  then looks again, so nothing it was rung for is left to the fallback poll.
"""
from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

log = logging.getLogger(__name__)

RETRY_S = 0.02  # between pg_try_advisory_lock attempts while queueing for a lock


def lock_key(name: str) -> int:
    """A stable signed 64-bit key per lock name (advisory locks are keyed by bigint)."""
    return int.from_bytes(hashlib.sha256(f"gridline:{name}".encode()).digest()[:8], "big", signed=True)


class ClusterLock:
    def __init__(self, engine: sa.Engine, name: str):
        self.engine = engine
        self.name = name
        self.key = lock_key(name)
        self.shared = engine.dialect.name == "postgresql"
        self.acquired = 0  # passes this process ran under the lock
        self.skipped = 0  # times another worker held it (try-once) or the wait ran out

    @contextmanager
    def held(self, wait_s: float = 0.0, stop: threading.Event | None = None) -> Iterator[bool]:
        """Yields True while this worker holds the lock, False if it could not get it in ``wait_s``."""
        if not self.shared:
            self.acquired += 1
            yield True
            return
        conn = self.engine.connect()
        got = False
        try:
            deadline = time.monotonic() + wait_s
            while True:
                got = bool(conn.execute(sa.select(sa.func.pg_try_advisory_lock(self.key))).scalar())
                conn.commit()  # the lock is session-level: it outlives this (empty) transaction
                if got or time.monotonic() >= deadline or (stop is not None and stop.is_set()):
                    break
                time.sleep(RETRY_S)
            if got:
                self.acquired += 1
            else:
                self.skipped += 1
            yield got
        finally:
            self._release(conn, got)

    def _release(self, conn: sa.Connection, got: bool) -> None:
        if got:
            try:
                conn.execute(sa.select(sa.func.pg_advisory_unlock(self.key)))
                conn.commit()
            except Exception:
                log.exception("releasing cluster lock %s failed; dropping its connection", self.name)
                conn.invalidate()
        conn.close()
