"""The device-identity background jobs, for ``hub/app.py``: broker account sync (when the hub manages the
broker's files), the spoofing watch and the rate-limit flags."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from hub.devices.broker_sync import BrokerAuthSync
from hub.devices.flags import RateLimitWatch, SpoofWatch
from hub.devices.identities import DeviceRegistry
from hub.jobs.runner import Job
from hub.settings import HubSettings
from hub.store import HubStore
from hub.store.db import Database
from protocol import parse_broker_url


def registry_from_settings(settings: HubSettings, db: Database, clock: Callable[[], datetime]) -> DeviceRegistry:
    hub_user = parse_broker_url(settings.broker_url).username if settings.broker_url != "embedded" else None
    return DeviceRegistry(db, clock=clock, code_ttl=timedelta(seconds=settings.enroll_code_ttl_s),
                          reserved=[hub_user or "", settings.client_id])


def device_identity_jobs(settings: HubSettings, store: HubStore, clock: Callable[[], datetime],
                         bridge: Any = None) -> list[Job]:
    registry = registry_from_settings(settings, store, clock)
    jobs = [Job("spoof-watch", (watch := SpoofWatch(registry)).run_forever, watch)]
    if bridge is not None and bridge.uplink_limit is not None:
        limits = RateLimitWatch(registry, bridge.uplink_limit)
        jobs.append(Job("rate-limit-flags", limits.run_forever, limits))
    if settings.broker_auth_dir:
        sync = BrokerAuthSync.from_settings(settings, registry)
        jobs.append(Job("broker-auth", sync.run_forever, sync))
    return jobs


def wake_broker_sync(app_state) -> None:
    """After an identity change through the API: apply it to the broker now, not at the next period."""
    jobs = getattr(app_state, "jobs", None)
    for job in jobs.jobs if jobs else []:
        if job.name == "broker-auth":
            job.handle.wake()
