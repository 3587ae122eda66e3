"""The hub's composition root: ``create_app`` builds the FastAPI app whose lifespan migrates the database,
starts the MQTT bridge and the background jobs, and stops them again; ``background_jobs`` lists every job.

Wake-ups, not polling (``hub/jobs/wakeup.py``): the bridge rings intake / actions after committing reports /
actions; intake, actions, the sweeps and the HTTP API (``ring_jobs``) ring the dispatcher. On PostgreSQL the
rings also reach the other hub workers (LISTEN/NOTIFY, ``hub/jobs/notify.py``), so the fallback poll is a long
safety net (``job_listening_poll_s``) while this worker listens, ``job_fallback_poll_s`` otherwise.

Several hub workers may share one PostgreSQL (``--share-group``). Cluster locks (``hub/store/locks.py``) make
the order-sensitive passes (intake, actions, dispatch) run one worker at a time and the periodic sweeps
(escalation + level refresh, welfare watch) run on one worker per period; the bridge takes its own lock for the
downlink re-send sweep. On SQLite (one worker) the locks are always granted.

The working calendar (``hub.org.workdays.deployment_calendar``) is built once per worker at start and shared by
every ``CaseService`` of the worker; its ``calendar`` job reloads admins' local days when rung (the calendar API,
relayed to the other workers) or every ``calendar_refresh_s``.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from functools import partial

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from hub.api import api_router, open311_router
from hub.api.metrics import router as metrics_router
from hub.api.nul_guard import RefuseNulMiddleware
from hub.api.prometheus import WorkerSnapshots
from hub.api.request_ids import RequestIdMiddleware, install_log_records
from hub.auth.access_log import AccessLogMiddleware
from hub.auth.origin import SameOriginMiddleware
from hub.cases.actions import ActionApplier
from hub.cases.dispatch import Dispatcher
from hub.cases.escalation import EscalationSweep
from hub.cases.intake import CaseIntake
from hub.cases.service import CaseService
from hub.deliberation.job import DeliberationJob
from hub.devices.jobs import device_identity_jobs
from hub.followup.job import FollowupJob
from hub.followup.service import FollowupService
from hub.jobs.notify import NotifyRelay
from hub.jobs.runner import Job, JobRunner
from hub.jobs.wakeup import Doorbell, serve_periodic, serve_rung
from hub.lookup.job import LookupResponder
from hub.mqtt.bridge import MqttBridge
from hub.mqtt.embedded_broker import ManagedBroker
from hub.notices.job import notice_jobs
from hub.org.calendar import WorkCalendar
from hub.org.taxonomy import install_taxonomy
from hub.org.workdays import DeploymentCalendar, deployment_calendar
from hub.patrols.job import PatrolJob
from hub.services.job import service_jobs
from hub.settings import HubSettings
from hub.store import HubStore, utc_now
from hub.store.locks import ClusterLock
from hub.store.partitions import PositionPartitions
from hub.store.statistics import refresh_planner_statistics
from hub.web import mount_dashboard
from hub.web.api_docs import mount_api_docs
from hub.welfare.watch import WelfareWatch

log = logging.getLogger(__name__)


def create_app(settings: HubSettings | None = None, store: HubStore | None = None, *,
               start_bridge: bool = True, clock: Callable[[], datetime] = utc_now,
               after_startup: Callable[[], object] | None = None) -> FastAPI:
    """Build the hub. ``store`` may be injected (tests); otherwise one is opened from ``settings``.
    ``start_bridge=False`` serves the API without MQTT. ``broker_url="embedded"`` starts a loopback
    broker under ``data_dir/broker`` for the app's lifetime. ``after_startup`` runs once everything has started
    (``gridline hub serve`` freezes the start-up heap there: hub/process/gc_tuning.py)."""
    settings = settings or HubSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        hub_settings = settings
        broker = None
        if start_bridge and hub_settings.broker_url == "embedded":
            broker = ManagedBroker(hub_settings.data_dir / "broker").start()
            hub_settings = hub_settings.model_copy(update={"broker_url": broker.url})
        hub_store = store or HubStore.from_settings(hub_settings, clock)
        bridge = None
        jobs = None
        try:
            await run_in_threadpool(prepare_database, hub_store)
            # The working calendar, once for this worker: every CaseService of the hub (jobs and API) counts time
            # limits, accept windows and repeat escalations on it; warn now if next year's holidays are unknown.
            calendar = await run_in_threadpool(deployment_calendar, hub_store, hub_settings, clock)
            calendar.warn_if_uncovered()
            service = CaseService(hub_store, clock=clock, calendar=calendar)
            if start_bridge:
                bridge = MqttBridge(hub_settings, hub_store, clock).start()
            metrics = WorkerSnapshots(hub_settings.data_dir, hub_settings.client_id, bridge)  # for /metrics
            jobs = JobRunner([*background_jobs(hub_settings, hub_store, bridge, clock, service=service),
                              Job("metrics", metrics.run_forever, metrics)]).start()
            app.state.metrics = metrics
            app.state.settings, app.state.store, app.state.bridge = hub_settings, hub_store, bridge
            app.state.calendar, app.state.case_service = calendar, service  # the API's (hub/api/cases.py, calendar.py)
            app.state.jobs = jobs
            app.state.intake = jobs.handle("intake")
            app.state.broker_url = hub_settings.broker_url if start_bridge else None
            if after_startup is not None:
                after_startup()
            yield
        finally:
            if jobs is not None:
                await run_in_threadpool(jobs.stop)
            if bridge is not None:
                await run_in_threadpool(bridge.stop)
            if store is None:
                hub_store.close()
            if broker is not None:
                broker.stop()

    app = FastAPI(title="Gridline hub", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Records, photos and presence from Gridline terminals; downlink messages to them.")
    app.add_middleware(SameOriginMiddleware)  # cookie-borne POST/PUT/DELETE from another origin: 403 (audited)
    app.add_middleware(AccessLogMiddleware)  # who viewed/changed what: one row after the response (hub.auth)
    app.add_middleware(RefuseNulMiddleware)  # NUL in a path, query or body: 400 here, not a 500 in PostgreSQL
    app.add_middleware(RequestIdMiddleware)  # outermost: every log line of a request carries its id
    install_log_records(settings.client_id)
    app.include_router(api_router(), prefix="/api")
    app.include_router(open311_router)  # /open311/v2: the GeoReport v2 facade
    app.include_router(metrics_router)  # /metrics: Prometheus' text format
    mount_dashboard(app)  # the control-room web dashboard at /app/
    mount_api_docs(app)  # /docs from vendored assets (no CDN)
    return app


STARTUP_LOCK_WAIT_S = 300.0  # a worker queues behind another worker's migration, however long it takes


def prepare_database(store: HubStore) -> None:
    """Migrate, then install categories new in this release (admins retire one by disabling it, never by
    deleting). One hub worker at a time: workers started together would otherwise race on the same rows."""
    with ClusterLock(store.engine, "startup").held(wait_s=STARTUP_LOCK_WAIT_S) as got:
        if not got:
            raise RuntimeError("another hub worker held the startup lock for 5 minutes")
        store.migrate()
        install_taxonomy(store)



def background_jobs(settings: HubSettings, store: HubStore, bridge: MqttBridge | None,
                    clock: Callable[[], datetime], *, service: CaseService | None = None) -> list[Job]:
    """Every job of a hub worker, sharing one ``CaseService`` (the lifespan's, or one on the deployment calendar)."""
    service = service or CaseService(store, clock=clock, calendar=deployment_calendar(store, settings, clock))
    intake = CaseIntake(store, service)
    dispatcher = Dispatcher(store, service, bridge=bridge, auto_dispatch=settings.auto_dispatch)
    actions = ActionApplier(store, service, dead_letter_cap=settings.dead_letter_payload_cap)
    sweep = EscalationSweep(service, dispatcher, accept_window=timedelta(seconds=settings.task_accept_window_s),
                            overdue_every=timedelta(seconds=settings.overdue_escalation_every_s))
    welfare = WelfareWatch(store, service, clock=clock)
    lookups = LookupResponder(store, bridge, clock)
    followups = FollowupService(store, service, window=timedelta(hours=settings.followup_window_h),
                                share=settings.followup_share, clock=clock)  # 回访 (hub/followup)
    relay = notify_relay(settings, store)
    bells = {name: relay.bell(name) if relay else Doorbell(name)
             for name in ("intake", "dispatch", "actions", "calendar", "lookup", "followup", "deliberation", "grids")}
    lock = partial(ClusterLock, store.engine)
    poll = settings.job_fallback_poll_s
    bells["services"] = relay.bell("services") if relay else Doorbell("services")  # 服务 (hub/services)
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
        Job("lookup", partial(lookups.run_forever, interval_s=poll, bell=bells["lookup"], lock=lock("lookup")),
            lookups, bells["lookup"]),  # 查进度: kiosks' LookupRequests answered by downlink
        Job("deliberation", partial((votes := DeliberationJob(store, bridge, clock)).run_forever, interval_s=poll,
                                    bell=bells["deliberation"], lock=lock("deliberation")),
            votes, bells["deliberation"]),  # 议事: residents' votes (one per card) and comments taken, kiosks answered
        Job("followup", partial((followup_job := FollowupJob(followups, bridge, on_reopen=ring_dispatch)).run_forever,
                                interval_s=settings.followup_sweep_s, bell=bells["followup"], lock=lock("followup")),
            followup_job, bells["followup"]),  # 回访: rounds for closings, kiosk prompts and answers
        Job("escalation", partial(sweep.run_forever, interval_s=settings.escalation_sweep_s,
                                  lock=lock("escalation-sweep"), on_work=ring_dispatch), sweep),
        Job("welfare", partial(welfare.run_forever, lock=lock("welfare-watch"), on_work=ring_dispatch), welfare),
        Job("patrols", partial((patrols := PatrolJob(store, clock, bridge)).run_forever, lock=lock("patrols")),
            patrols),  # 巡查点: checkpoint visits, patrol sessions, hours credited; checkpoint lists to the tablets
        *calendar_jobs(settings, service.calendar, bells["calendar"]),  # local calendar days, without a restart
        Job("grids", partial(serve_rung, bell=bells["grids"], fallback_s=3600.0, run_pass=intake.forget_router,
                             name="grid outlines"), intake, bells["grids"]),  # an outline changed: route by the new one
        *device_identity_jobs(settings, store, clock, bridge),  # broker accounts, spoofing/rate-limit flags
        *position_partition_jobs(settings, store, clock),  # position day partitions + retention (PostgreSQL)
        *planner_statistics_jobs(settings, store),  # SQLite's planner statistics (PostgreSQL: autovacuum)
        *notice_jobs(store, bridge, clock, relay),  # 居务公开: notices onto the kiosks of their target
        *service_jobs(store, service, bells["services"], fallback_s=poll,  # 服务: service check-ins, home visits
                      on_work=ring_dispatch),
        *relay_jobs(relay),
    ]


def calendar_jobs(settings: HubSettings, calendar: WorkCalendar, bell: Doorbell) -> list[Job]:
    """Reload the calendar's local overrides when the calendar API rings (here, and through the PostgreSQL relay on
    every other worker) and at least every ``calendar_refresh_s``; each pass also warns once when this year or next
    has no holidays. Every worker reloads its own copy: no cluster lock."""
    if not isinstance(calendar, DeploymentCalendar):
        return []  # a fixed calendar (tests): nothing to reload
    return [Job("calendar", partial(serve_rung, bell=bell, fallback_s=settings.calendar_refresh_s,
                                    run_pass=calendar.refresh, name="working calendar"), calendar, bell)]


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
    if "lookup" in kinds:
        bells["lookup"].ring()
    if "followup" in kinds:
        bells["followup"].ring()
    if "checkin" in kinds or "visit" in kinds:
        bells["services"].ring()
    if "vote" in kinds or "comment" in kinds:
        bells["deliberation"].ring()
    if "confirm" in kinds:
        bells["dispatch"].ring()  # copies delivered/read onto task deliveries (sync_receipts)


def planner_statistics_jobs(settings: HubSettings, store: HubStore) -> list[Job]:
    """SQLite: a bounded ANALYZE at start and every ``sqlite_statistics_every_s`` (hub/store/statistics.py)."""
    if store.engine.dialect.name != "sqlite":
        return []
    return [Job("planner-statistics", partial(serve_periodic, interval_s=settings.sqlite_statistics_every_s,
                                              run_pass=partial(refresh_planner_statistics, store), first_wait=False,
                                              name="planner statistics"), store)]


def position_partition_jobs(settings: HubSettings, store: HubStore, clock: Callable[[], datetime]) -> list[Job]:
    """The position-partition maintenance job (PostgreSQL): a pass at start, then each period, once across workers."""
    if store.engine.dialect.name != "postgresql":
        return []  # SQLite: one plain records table, nothing to keep
    keeper = PositionPartitions(store.engine, retention_days=settings.position_retention_days,
                                days_ahead=settings.position_partitions_ahead_days, clock=clock)
    lock = ClusterLock(store.engine, "position-partitions")
    return [Job("position-partitions", partial(serve_periodic, interval_s=settings.position_partition_check_s,
                                               run_pass=keeper.maintain, lock=lock, first_wait=False,
                                               name="position partitions"), keeper)]
