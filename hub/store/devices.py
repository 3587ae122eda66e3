"""Reads of the ``devices`` presence table (written only by the ingest batch writer): who is online, their
last heartbeat figures, and presence changes for the live stream."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from hub.store.rows import DeviceRow
from hub.store.tables import devices


def listed(conn: sa.Connection, *, state: str | None = None,
           devices_in: sa.Select[str] | None = None) -> list[DeviceRow]:
    query = sa.select(devices).order_by(devices.c.id)
    if state:
        query = query.where(devices.c.state == state)
    if devices_in is not None:
        query = query.where(devices.c.id.in_(devices_in))
    return [DeviceRow(**r._mapping) for r in conn.execute(query)]


def get(conn: sa.Connection, device_id: str) -> DeviceRow | None:
    row = conn.execute(sa.select(devices).where(devices.c.id == device_id)).first()
    return DeviceRow(**row._mapping) if row else None


def last_status_change(conn: sa.Connection) -> datetime | None:
    value: datetime | None = conn.execute(sa.select(sa.func.max(devices.c.status_at))).scalar()
    return value


def status_changed_after(conn: sa.Connection, cursor: datetime | None) -> list[DeviceRow]:
    """Devices whose presence changed after ``cursor`` (None: every device that ever reported one), oldest first."""
    query = sa.select(devices).order_by(devices.c.status_at)
    if cursor is not None:
        query = query.where(devices.c.status_at > cursor)
    else:
        query = query.where(devices.c.status_at.is_not(None))
    return [DeviceRow(**r._mapping) for r in conn.execute(query)]


def count_by_state(conn: sa.Connection) -> dict[str, int]:
    """Devices per presence state (online, offline, ...): the metrics' devices gauge."""
    return {s: n for s, n in conn.execute(sa.select(devices.c.state, sa.func.count()).group_by(devices.c.state))}
