"""The hub as a FastAPI app: migrations, MQTT bridge and HTTP API under one lifespan."""
from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import asynccontextmanager
from datetime import datetime

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from .api import api_router, open311_router
from .api.nul_guard import RefuseNulMiddleware
from .auth.access_log import AccessLogMiddleware
from .bridge import MqttBridge
from .embedded_broker import ManagedBroker
from .jobs import JobRunner, background_jobs
from .org.taxonomy import install_taxonomy
from .settings import HubSettings
from .store import HubStore, utc_now
from .store.locks import ClusterLock
from .web import mount_dashboard

log = logging.getLogger(__name__)


def create_app(settings: HubSettings | None = None, store: HubStore | None = None, *,
               start_bridge: bool = True, clock: Callable[[], datetime] = utc_now) -> FastAPI:
    """Build the hub. ``store`` may be injected (tests); otherwise one is opened from ``settings``.
    ``start_bridge=False`` serves the API without MQTT. ``broker_url="embedded"`` starts a loopback
    broker under ``data_dir/broker`` for the app's lifetime."""
    settings = settings or HubSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
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
            if start_bridge:
                bridge = MqttBridge(hub_settings, hub_store, clock).start()
            jobs = JobRunner(background_jobs(hub_settings, hub_store, bridge, clock)).start()
            app.state.settings, app.state.store, app.state.bridge = hub_settings, hub_store, bridge
            app.state.jobs = jobs
            app.state.intake = jobs.handle("intake")
            app.state.broker_url = hub_settings.broker_url if start_bridge else None
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

    app = FastAPI(title="Gridline hub", version="0.1.0", lifespan=lifespan,
                  description="Records, photos and presence from Gridline terminals; downlink messages to them.")
    app.add_middleware(AccessLogMiddleware)  # who viewed/changed what: one row after the response (hub.auth)
    app.add_middleware(RefuseNulMiddleware)  # NUL in a path, query or body: 400 here, not a 500 in PostgreSQL
    app.include_router(api_router(), prefix="/api")
    app.include_router(open311_router)  # /open311/v2: the GeoReport v2 facade
    mount_dashboard(app)  # the control-room web dashboard at /app/
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

