"""SQLite's one write lock, handed out in this process by priority: case work before position batches.

SQLite lets one transaction write at a time. Left to ``busy_timeout``, waiting writers poll with growing sleeps
(1, 2, 5 … 100 ms) while the ingest writer, which commits a batch every few milliseconds and begins the next at
once, wins the lock nearly every time: at 10x district load a report's case intake, dispatch and the operators'
actions queued behind position batches for seconds. The gate is the datasette pattern's point without its
thread: every write transaction of this process waits here first, so SQLite itself never makes a writer of
this process wait, and the gate decides who goes next:

- ``CASEWORK`` (the default: case intake, dispatch, actions, sweeps, every API write) before ``BULK`` (the ingest
  writer's batches, mostly positions);
- first come, first served within a priority;
- a bulk waiter passed over ``MAX_BYPASS`` times goes next, so a storm of case work cannot stall ingest.

PostgreSQL has row locks and needs none of this. Other processes on the same SQLite file (a CLI command, a
backup) still meet ``busy_timeout``, which stays as it is.
"""
from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

CASEWORK = 0
BULK = 1
MAX_BYPASS = 16  # a bulk writer lets at most this many case-work transactions overtake it
WAIT_S = 15.0  # as SQLite's busy_timeout (engine.py): a writer that waits longer fails as SQLite's would


@dataclass(order=True)
class _Waiter:
    priority: int
    ticket: int
    thread: int = field(compare=False)
    bypassed: int = field(default=0, compare=False)


class WriteGate:
    """A reentrant, priority-ordered lock for one SQLite database file."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._owner: int | None = None
        self._depth = 0
        self._waiting: list[_Waiter] = []
        self._tickets = itertools.count()

    def _next(self) -> _Waiter:
        starved = [w for w in self._waiting if w.priority == BULK and w.bypassed >= MAX_BYPASS]
        return min(starved) if starved else min(self._waiting)

    @contextmanager
    def hold(self, priority: int = CASEWORK, timeout: float = WAIT_S) -> Iterator[None]:
        """Hold the gate for one write transaction. :class:`TimeoutError` (transient: callers retry) after
        ``timeout`` seconds of waiting, as SQLITE_BUSY would have been."""
        me = threading.get_ident()
        with self._cond:
            if self._owner == me:  # a write inside a write of the same thread: already ours
                self._depth += 1
            else:
                waiter = _Waiter(priority, next(self._tickets), me)
                self._waiting.append(waiter)
                deadline = time.monotonic() + timeout
                while self._owner is not None or self._next() is not waiter:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        self._waiting.remove(waiter)
                        self._cond.notify_all()  # it may have been the one the others let go first
                        raise TimeoutError(f"database is locked: waited {timeout:.0f} s for the write gate")
                    self._cond.wait(left)
                self._waiting.remove(waiter)
                for other in self._waiting:
                    if other.priority == BULK and waiter.priority < other.priority:
                        other.bypassed += 1
                self._owner, self._depth = me, 1
        try:
            yield
        finally:
            with self._cond:
                self._depth -= 1
                if self._depth == 0:
                    self._owner = None
                    self._cond.notify_all()

    def waiting(self) -> int:
        with self._cond:
            return len(self._waiting)


_GATES: dict[str, WriteGate] = {}
_GATES_LOCK = threading.Lock()


def gate_for(database: str) -> WriteGate:
    """The one gate of this process for a SQLite file (every ``Database`` on the same file shares it)."""
    with _GATES_LOCK:
        return _GATES.setdefault(database, WriteGate())
