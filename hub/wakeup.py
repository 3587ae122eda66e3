"""Wake-ups for the hub's background jobs, instead of polling the database every few milliseconds.

A ``Doorbell`` is rung in-process right after a commit that made work for a job (the bridge after storing
reports or actions, intake after opening cases, the sweeps after escalating). The job waits on its bell with
a longer fallback timeout: work committed by *other* hub workers, or by the HTTP API, is picked up by that
poll (or by the other worker's own bell).

No wake-up is lost: ``wait`` clears the bell before the job reads the database, and every ring follows its
commit, so a ring that lands during a pass is either seen by that pass's reads or leaves the bell set for the
next one.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from hub.store.locks import ClusterLock

log = logging.getLogger(__name__)

SERIAL_LOCK_WAIT_S = 5.0  # how long a rung worker queues behind another worker's pass before polling later


class Doorbell:
    def __init__(self, name: str = ""):
        self.name = name
        self._rung = threading.Event()
        self.rings = 0

    def ring(self) -> None:
        self.rings += 1
        self._rung.set()

    def wait(self, timeout: float) -> bool:
        """Block until rung or ``timeout``; True if rung. Clears the bell (see the module note)."""
        rung = self._rung.wait(timeout)
        self._rung.clear()
        return rung


def serve_rung(stop: threading.Event, bell: Doorbell, fallback_s: float, run_pass: Callable[[], object], *,
               lock: ClusterLock | None = None, name: str = "job") -> None:
    """Run ``run_pass`` now, then whenever ``bell`` rings or ``fallback_s`` passes, until ``stop``.

    With ``lock``, passes are serialised across hub workers (one worker at a time, in order); a rung worker
    queues for the lock rather than skipping, so the work it was rung for is not left to the fallback poll.
    """
    while not stop.is_set():
        try:
            if lock is None:
                run_pass()
            else:
                with lock.held(wait_s=SERIAL_LOCK_WAIT_S, stop=stop) as got:
                    if got:
                        run_pass()
        except Exception:  # noqa: BLE001 - a DB hiccup or a bad row must not end the job
            log.exception("%s pass failed; retrying", name)
        bell.wait(fallback_s)


def serve_periodic(stop: threading.Event, interval_s: float, run_pass: Callable[[], object], *,
                   lock: ClusterLock | None = None, first_wait: bool = True, name: str = "job") -> None:
    """Run ``run_pass`` every ``interval_s``; with ``lock`` only on the one worker that holds it this period."""
    if not first_wait:
        _once(run_pass, lock, name)
    while not stop.wait(interval_s):
        _once(run_pass, lock, name)


def _once(run_pass: Callable[[], object], lock: ClusterLock | None, name: str) -> None:
    try:
        if lock is None:
            run_pass()
            return
        with lock.held() as got:
            if got:
                run_pass()
    except Exception:  # noqa: BLE001
        log.exception("%s pass failed; retrying next period", name)
