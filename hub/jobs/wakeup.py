"""Wake-ups for the hub's background jobs, instead of polling the database every few milliseconds.

A ``Doorbell`` is rung right after a commit that made work for a job (the bridge after storing reports or
actions, intake after opening cases, the sweeps after escalating, the HTTP API after a case transition). The
job waits on its bell with a fallback timeout, for work committed where nothing rang.

On PostgreSQL a bell has a *relay* (``hub/jobs/notify.py``): a ring also reaches the same bell on every other
hub worker through ``NOTIFY``, and while this worker's ``LISTEN`` connection is up the fallback poll is only a
long safety net (``Relay.listening_poll_s``); while it is down, the short poll it was given applies.

No wake-up is lost: ``wait`` clears the bell before the job reads the database, and every ring follows its
commit, so a ring that lands during a pass is either seen by that pass's reads or leaves the bell set for the
next one.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Protocol

from hub.store.locks import ClusterLock

log = logging.getLogger(__name__)

SERIAL_LOCK_WAIT_S = 5.0  # how long a rung worker queues behind another worker's pass before polling later


class Relay(Protocol):
    """Carries rings to the other hub workers (``hub.jobs.notify.NotifyRelay``)."""

    listening_poll_s: float

    @property
    def listening(self) -> bool: ...  # other workers' rings reach this worker now

    def publish(self, name: str) -> None: ...


class Doorbell:
    def __init__(self, name: str = "", relay: Relay | None = None):
        self.name = name
        self.relay = relay
        self._rung = threading.Event()
        self.rings = 0

    def ring(self) -> None:
        """After a commit: wake this job here and, with a relay, on every other hub worker."""
        self.ring_here()
        if self.relay is not None:
            self.relay.publish(self.name)

    def ring_here(self) -> None:
        """Wake only this worker's job (a relayed ring, a shutdown)."""
        self.rings += 1
        self._rung.set()

    def wait(self, timeout: float) -> bool:
        """Block until rung or ``timeout`` (longer while the relay listens); True if rung. Clears the bell
        (see the module note)."""
        if self.relay is not None and self.relay.listening:
            timeout = max(timeout, self.relay.listening_poll_s)
        rung = self._rung.wait(timeout)
        self._rung.clear()
        return rung


def ring_jobs(app_state, *names: str) -> None:
    """After the HTTP API committed work for jobs (a case transition or a 311 request: ``"dispatch"``): ring
    their bells, here and on the other workers. An app without running jobs has nothing to ring."""
    runner = getattr(app_state, "jobs", None)
    for job in runner.jobs if runner else []:
        if job.name in names and job.bell is not None:
            job.bell.ring()


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
        except Exception:
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
    except Exception:
        log.exception("%s pass failed; retrying next period", name)
