"""The notice fan-out as a hub job: a pass when rung (the notices API after a change, relayed to other workers on
PostgreSQL) and at least every ``SWEEP_S``, which is what serves a notice whose publish time has come and a kiosk
bound or enrolled while a notice is live (nothing rings for those)."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial

from hub.jobs.notify import NotifyRelay
from hub.jobs.runner import Job
from hub.jobs.wakeup import Doorbell, serve_rung
from hub.notices.service import NoticeService, Sender
from hub.store import HubStore

JOB = "notices"
SWEEP_S = 2.0  # a later-bound kiosk or a scheduled notice waits at most this long


def notice_jobs(store: HubStore, bridge: Sender | None, clock: Callable[[], datetime],
                relay: NotifyRelay | None = None) -> list[Job]:
    service = NoticeService(store, bridge, clock=clock)
    bell = relay.bell(JOB) if relay is not None else Doorbell(JOB)
    # serve_rung without a lock: NoticeService.fanout takes the cluster lock itself (the API calls it too)
    return [Job(JOB, partial(serve_rung, bell=bell, fallback_s=SWEEP_S, run_pass=service.fanout,
                             name="notice fan-out"), service, bell)]
