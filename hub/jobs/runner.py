"""Background jobs: each is a ``run_forever(stop_event)`` loop on its own daemon thread, started and stopped
with the app (``hub/app.py`` lists them). Wake-ups instead of polling live in :mod:`hub.jobs.wakeup`."""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from hub.jobs.wakeup import Doorbell


@dataclass(frozen=True)
class Job:
    name: str
    run_forever: Callable[[threading.Event], None]
    handle: object  # the object behind the loop, exposed on app.state for tests and the API
    bell: Doorbell | None = field(default=None, compare=False)  # rung on stop too, so the loop sees it at once


class JobRunner:
    """Starts every job on its own daemon thread; ``stop`` sets one event and joins them all."""

    def __init__(self, jobs: list[Job]):
        self.jobs = jobs
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> JobRunner:
        for job in self.jobs:
            thread = threading.Thread(target=job.run_forever, args=(self._stop,), name=f"hub-{job.name}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        for job in self.jobs:
            if job.bell is not None:
                job.bell.ring_here()  # wake the loop to see the stop flag; other workers are not concerned
        for thread in self._threads:
            thread.join(timeout)

    def handle(self, name: str):
        return next(job.handle for job in self.jobs if job.name == name)
