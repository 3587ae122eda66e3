"""The hub's background jobs: each is a ``run_forever(stop_event)`` loop started by the app's lifespan.

One line per job here keeps ``app.py`` stable as features add periodic work (case intake, dispatch,
escalation sweeps, the welfare watch). Jobs see the store, the bridge (None without MQTT) and the clock.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from .bridge import MqttBridge
from .cases.actions import ActionApplier
from .cases.dispatch import Dispatcher
from .cases.escalation import EscalationSweep
from .cases.intake import CaseIntake
from .cases.service import CaseService
from .settings import HubSettings
from .store import HubStore
from .welfare.watch import WelfareWatch


@dataclass(frozen=True)
class Job:
    name: str
    run_forever: Callable[[threading.Event], None]
    handle: object  # the object behind the loop, exposed on app.state for tests and the API


def background_jobs(settings: HubSettings, store: HubStore, bridge: MqttBridge | None,
                    clock: Callable[[], datetime]) -> list[Job]:
    service = CaseService(store, clock=clock)
    intake = CaseIntake(store, service)
    dispatcher = Dispatcher(store, service, bridge=bridge, auto_dispatch=settings.auto_dispatch)
    actions = ActionApplier(store, service, dead_letter_cap=settings.dead_letter_payload_cap)
    sweep = EscalationSweep(service, dispatcher, accept_window=timedelta(seconds=settings.task_accept_window_s),
                            overdue_every=timedelta(seconds=settings.overdue_escalation_every_s))
    return [
        Job("intake", partial(intake.run_forever, interval_s=settings.case_poll_interval_s), intake),
        Job("dispatch", partial(dispatcher.run_forever, interval_s=settings.case_poll_interval_s), dispatcher),
        Job("actions", actions.run_forever, actions),
        Job("escalation", partial(sweep.run_forever, interval_s=settings.escalation_sweep_s), sweep),
        Job("welfare", (welfare := WelfareWatch(store, service, clock=clock)).run_forever, welfare),
    ]


class JobRunner:
    """Starts every job on its own daemon thread; ``stop`` sets one event and joins them all."""

    def __init__(self, jobs: list[Job]):
        self.jobs = jobs
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> "JobRunner":
        for job in self.jobs:
            thread = threading.Thread(target=job.run_forever, args=(self._stop,), name=f"hub-{job.name}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)

    def handle(self, name: str):
        return next(job.handle for job in self.jobs if job.name == name)
