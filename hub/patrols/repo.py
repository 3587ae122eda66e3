"""The one owner of ``patrol_checkpoints``, ``patrol_routes``, ``checkpoint_visits`` and ``patrol_sessions``. The
tablets' records (``checkpoint``, ``patrol``) are read through the records' owner (``hub.store.records``)."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from hub.org.repo import unit_subtree
from hub.store import RecordRow
from hub.store import records as record_rows
from hub.store.tables import checkpoint_visits, patrol_checkpoints, patrol_routes, patrol_sessions


def _dicts(result: Any) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in result]


# -- checkpoints and routes ------------------------------------------------------------------------------------
def insert_checkpoint(conn: sa.Connection, row: Mapping[str, Any]) -> None:
    conn.execute(sa.insert(patrol_checkpoints), dict(row))


def set_checkpoint_active(conn: sa.Connection, checkpoint_id: str, active: bool) -> None:
    conn.execute(sa.update(patrol_checkpoints).where(patrol_checkpoints.c.id == checkpoint_id).values(active=active))


def checkpoint(conn: sa.Connection, checkpoint_id: str) -> dict[str, Any] | None:
    row = conn.execute(sa.select(patrol_checkpoints).where(patrol_checkpoints.c.id == checkpoint_id)).first()
    return dict(row._mapping) if row else None


def checkpoints(conn: sa.Connection, *, under: str | None = None, grids: Iterable[str] | None = None,
                active_only: bool = True) -> list[dict[str, Any]]:
    query = sa.select(patrol_checkpoints).order_by(patrol_checkpoints.c.grid_code, patrol_checkpoints.c.name)
    if under:
        query = query.where(patrol_checkpoints.c.grid_code.in_(unit_subtree(under)))
    if grids is not None:
        query = query.where(patrol_checkpoints.c.grid_code.in_(sorted(set(grids))))
    if active_only:
        query = query.where(patrol_checkpoints.c.active.is_(True))
    return _dicts(conn.execute(query))


def save_route(conn: sa.Connection, grid_code: str, checkpoint_ids: list[str], by: str, now: datetime) -> None:
    conn.execute(sa.delete(patrol_routes).where(patrol_routes.c.grid_code == grid_code))
    conn.execute(sa.insert(patrol_routes), {"grid_code": grid_code, "checkpoint_ids": checkpoint_ids,
                                            "updated_by": by, "updated_at": now})


def routes(conn: sa.Connection, grids: Iterable[str]) -> dict[str, list[str]]:
    query = sa.select(patrol_routes).where(patrol_routes.c.grid_code.in_(sorted(set(grids))))
    return {r.grid_code: list(r.checkpoint_ids) for r in conn.execute(query)}


# -- visits and sessions -----------------------------------------------------------------------------------------
def untaken_visits(conn: sa.Connection, limit: int) -> list[RecordRow]:
    taken = sa.select(checkpoint_visits.c.record_id)
    return record_rows.untaken(conn, "checkpoint", lambda rid: rid.in_(taken), since=None, limit=limit,
                               by_device_time=True)


def untaken_patrols(conn: sa.Connection, limit: int) -> list[RecordRow]:
    taken = sa.select(patrol_sessions.c.record_id)
    return record_rows.untaken(conn, "patrol", lambda rid: rid.in_(taken), since=None, limit=limit)


def insert_visit(conn: sa.Connection, row: Mapping[str, Any]) -> None:
    conn.execute(sa.insert(checkpoint_visits), dict(row))


def insert_session(conn: sa.Connection, row: Mapping[str, Any]) -> None:
    conn.execute(sa.insert(patrol_sessions), dict(row))


def visits_of_device(conn: sa.Connection, device_id: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """A tablet's visits made (device time) in [start, end]."""
    query = (sa.select(checkpoint_visits).where(checkpoint_visits.c.device_id == device_id,
                                                checkpoint_visits.c.visited_at >= start,
                                                checkpoint_visits.c.visited_at <= end)
             .order_by(checkpoint_visits.c.visited_at))
    return _dicts(conn.execute(query))


def visits(conn: sa.Connection, *, grids: Iterable[str], since: datetime, until: datetime) -> list[dict[str, Any]]:
    query = (sa.select(checkpoint_visits).where(checkpoint_visits.c.grid_code.in_(sorted(set(grids))),
                                                checkpoint_visits.c.visited_at >= since,
                                                checkpoint_visits.c.visited_at < until)
             .order_by(checkpoint_visits.c.visited_at))
    return _dicts(conn.execute(query))


def sessions(conn: sa.Connection, *, grids: Iterable[str], since: datetime, until: datetime) -> list[dict[str, Any]]:
    query = (sa.select(patrol_sessions).where(patrol_sessions.c.grid_code.in_(sorted(set(grids))),
                                              patrol_sessions.c.started_at >= since,
                                              patrol_sessions.c.started_at < until)
             .order_by(patrol_sessions.c.started_at))
    return _dicts(conn.execute(query))
