"""Patrol sessions as the control room reads them: the ``patrol`` records of devices in the operator's scope.

Nothing is stored here: a PatrolLog arrives like every record (``hub/mqtt/ingest.py`` → ``hub/store/batch.py``,
stored once, receipted after the commit) and is read back through the store's scoped record listing, then
decoded and joined with the tablet's binding (its unit and its volunteer).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hub.auth.scope import OperatorScope
from hub.org import repo as org_repo
from protocol import PatrolLog, ProtocolError, decode

KIND = "patrol"


@dataclass(frozen=True)
class PatrolSession:
    id: str
    device_id: str
    unit_code: str | None  # the unit the tablet is bound to
    volunteer_id: str | None  # the tablet's owner (people.id)
    grid_code: str | None  # as configured on the tablet
    started_at: datetime
    ended_at: datetime
    duration_s: float
    distance_m: float
    fixes: int
    skipped: int
    received_at: datetime


@dataclass(frozen=True)
class PatrolPage:
    items: list[PatrolSession]
    next_cursor: str | None


def list_patrols(scope: OperatorScope, *, unit: str | None = None, device_id: str | None = None,
                 since: datetime | None = None, until: datetime | None = None, limit: int = 100,
                 cursor: str | None = None) -> PatrolPage:
    """Patrols of the tablets bound in ``unit`` (default: the whole scope; a unit elsewhere lists nothing),
    oldest received first. ``since``/``until``: hub receive time. Raises CursorError for a bad cursor."""
    visible, narrowed = scope.visible_part(unit)
    if not visible:
        return PatrolPage([], None)
    devices_in = org_repo.devices_bound_within(narrowed) if narrowed else scope.devices_in
    rows, next_cursor = scope.store.list_records(kind=KIND, device_id=device_id, since=since, until=until,
                                                 limit=limit, cursor=cursor, devices_in=devices_in)
    units: dict[str, str | None] = {}
    owners: dict[str, str | None] = {}
    with scope.store.read() as conn:
        for device in {r.device_id for r in rows}:
            units[device] = org_repo.device_unit(conn, device)
            owners[device] = org_repo.device_owner(conn, device)
    items = []
    for row in rows:
        try:
            log = decode(PatrolLog, row.payload.encode(), row.device_id)
        except ProtocolError:  # stored only after validation; a row that no longer decodes is left out, not a 500
            continue
        items.append(PatrolSession(
            id=log.id, device_id=log.device_id, unit_code=units[row.device_id], volunteer_id=owners[row.device_id],
            grid_code=log.grid_code, started_at=log.started_at, ended_at=log.ended_at,
            duration_s=(log.ended_at - log.started_at).total_seconds(), distance_m=log.distance_m, fixes=log.fixes,
            skipped=log.skipped, received_at=row.received_at))
    return PatrolPage(items, next_cursor)
