"""The hub's background jobs: each is a ``run_forever(stop_event)`` loop started by the app's lifespan.

One line per job here keeps ``app.py`` stable as features add periodic work (case intake, dispatch,
escalation sweeps, the welfare watch). Jobs see the store, the bridge (None without MQTT) and the clock.

Wake-ups, not polling (``hub/wakeup.py``): the bridge rings intake / actions after committing reports /
actions; intake, actions, the sweeps and the HTTP API (``ring_jobs``) ring the dispatcher. On PostgreSQL the
rings also reach the other hub workers (LISTEN/NOTIFY, ``hub/store/notify.py``), so the fallback poll is a long
safety net (``job_listening_poll_s``) while this worker listens, ``job_fallback_poll_s`` otherwise.

Several hub workers may share one PostgreSQL (``--share-group``). Cluster locks (``hub/store/locks.py``) make
the order-sensitive passes (intake, actions, dispatch) run one worker at a time and the periodic sweeps
(escalation + level refresh, welfare watch) run on one worker per period; the bridge takes its own lock for the
downlink re-send sweep. On SQLite (one worker) the locks are always granted.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from .bridge import MqttBridge
from .cases.actions import ActionApplier
from .cases.dispatch import Dispatcher
from .cases.escalation import EscalationSweep
from .cases.intake import CaseIntake
from .cases.service import CaseService
from .devices.jobs import device_identity_jobs
from .settings import HubSettings
from .store import HubStore
from .store.locks import ClusterLock
from .store.partitions import position_partition_jobs
from .store.notify import NotifyRelay
from .wakeup import Doorbell, serve_rung
from .welfare.watch import WelfareWatch


@dataclass(frozen=True)
class Job:
    name: str
    run_forever: Callable[[threading.Event], None]
    handle: object  # the object behind the loop, exposed on app.state for tests and the API
    bell: Doorbell | None = field(default=None, compare=False)  # rung on stop too, so the loop sees it at once


def background_jobs(settings: HubSettings, store: HubStore, bridge: MqttBridge | None,
                    clock: Callable[[], datetime]) -> list[Job]:
    service = CaseService(store, clock=clock)
    intake = CaseIntake(store, service)
    dispatcher = Dispatcher(store, service, bridge=bridge, auto_dispatch=settings.auto_dispatch)
    actions = ActionApplier(store, service, dead_letter_cap=settings.dead_letter_payload_cap)
    sweep = EscalationSweep(service, dispatcher, accept_window=timedelta(seconds=settings.task_accept_window_s),
                            overdue_every=timedelta(seconds=settings.overdue_escalation_every_s))
    welfare = WelfareWatch(store, service, clock=clock)
    relay = notify_relay(settings, store)
    bells = {name: relay.bell(name) if relay else Doorbell(name) for name in ("intake", "dispatch", "actions")}
    lock = partial(ClusterLock, store.engine)
    poll = settings.job_fallback_poll_s
    if bridge is not None:
        bridge.on_commit(partial(_ring_for_kinds, bells))

    def apply_actions(stop: threading.Event) -> None:
        def one_pass() -> None:
            while not stop.is_set():
                taken = actions.run_once()
                if taken:
                    bells["dispatch"].ring()
                if taken < actions.batch:
                    return

        serve_rung(stop, bells["actions"], poll, one_pass, lock=lock("actions"), name="device actions")

    ring_dispatch = bells["dispatch"].ring
    return [
        Job("intake", partial(intake.run_forever, interval_s=poll, bell=bells["intake"], lock=lock("intake"),
                              on_work=ring_dispatch), intake, bells["intake"]),
        Job("dispatch", partial(dispatcher.run_forever, interval_s=poll, bell=bells["dispatch"],
                                lock=lock("dispatch")), dispatcher, bells["dispatch"]),
        Job("actions", apply_actions, actions, bells["actions"]),
        Job("escalation", partial(sweep.run_forever, interval_s=settings.escalation_sweep_s,
                                  lock=lock("escalation-sweep"), on_work=ring_dispatch), sweep),
        Job("welfare", partial(welfare.run_forever, lock=lock("welfare-watch"), on_work=ring_dispatch), welfare),
        *device_identity_jobs(settings, store, clock, bridge),  # broker accounts, spoofing/rate-limit flags
        *position_partition_jobs(settings, store, clock),  # position day partitions + retention (PostgreSQL)
        *relay_jobs(relay),
    ]


def notify_relay(settings: HubSettings, store: HubStore) -> NotifyRelay | None:
    """The cross-worker relay for the jobs' bells: PostgreSQL only (SQLite is one worker), unless turned off."""
    if not settings.pg_notify_wakeups or store.engine.dialect.name != "postgresql":
        return None
    return NotifyRelay(store.db_url, listening_poll_s=settings.job_listening_poll_s)


def relay_jobs(relay: NotifyRelay | None) -> list[Job]:
    if relay is None:
        return []
    return [Job("wakeup-listen", relay.listen_forever, relay),
            Job("wakeup-notify", relay.notify_forever, relay, relay.sender_bell)]


def _ring_for_kinds(bells: dict[str, Doorbell], kinds: set[str]) -> None:
    """Called by the bridge after each commit with the uplink kinds that batch carried."""
    if "report" in kinds:
        bells["intake"].ring()
    if "action" in kinds:
        bells["actions"].ring()
    if "confirm" in kinds:
        bells["dispatch"].ring()  # copies delivered/read onto task deliveries (sync_receipts)


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
        for job in self.jobs:
            if job.bell is not None:
                job.bell.ring_here()  # wake the loop to see the stop flag; other workers are not concerned
        for thread in self._threads:
            thread.join(timeout)

    def handle(self, name: str):
        return next(job.handle for job in self.jobs if job.name == name)
