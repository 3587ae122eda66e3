"""The service intake job: kiosk service check-ins and phones' home visits into service cases, and the disputes'
escalation by plan (the higher of the seriousness and the deadline colour; at most every ``DISPUTE_SWEEP_S``).

Rung by the bridge after a commit that stored check-ins or visits (``hub/app.py``), with a fallback poll; one
worker at a time (cluster lock). Each pass that opened or escalated cases rings the dispatcher, which sends the
tasks."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from functools import partial

from hub.cases.service import CaseService
from hub.jobs.runner import Job
from hub.jobs.wakeup import Doorbell, serve_rung
from hub.services.desk import ServiceDesk
from hub.services.disputes import DisputeService
from hub.services.visits import VisitIntake
from hub.store import HubStore
from hub.store.locks import ClusterLock

JOB = "services"
DISPUTE_SWEEP_S = 30.0


class ServiceJob:
    def __init__(self, desk: ServiceDesk, visits: VisitIntake, disputes: DisputeService,
                 on_work: Callable[[], None] | None = None, *, monotonic: Callable[[], float] = time.monotonic):
        self.desk, self.visits, self.disputes, self.on_work = desk, visits, disputes, on_work
        self.monotonic = monotonic
        self._swept: float | None = None

    def run_once(self) -> int:
        taken = 0
        while True:
            got = self.desk.run_once() + self.visits.run_once()
            taken += got
            if got < self.desk.batch:
                break
        if self._swept is None or self.monotonic() - self._swept >= DISPUTE_SWEEP_S:
            self._swept = self.monotonic()
            taken += len(self.disputes.escalate_by_plan())
        if taken and self.on_work is not None:
            self.on_work()
        return taken


def service_jobs(store: HubStore, cases: CaseService, bell: Doorbell, *, fallback_s: float,
                 on_work: Callable[[], None] | None = None) -> list[Job]:
    desk = ServiceDesk(store, cases)
    job = ServiceJob(desk, VisitIntake(desk), DisputeService(store, cases), on_work)
    lock = ClusterLock(store.engine, JOB)

    def run(stop: threading.Event) -> None:
        serve_rung(stop, bell, fallback_s, job.run_once, lock=lock, name="service intake")

    return [Job(JOB, partial(run), job, bell)]
