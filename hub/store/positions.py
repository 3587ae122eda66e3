"""Live position reads for the dashboard (map tails, the live stream's cursor): the ``records`` rows of kind
``position``, read here so the store stays their only reader.

Positions here are live ones only (``LIVE_MAX_AGE``): each query bounds the record id from below, so on
PostgreSQL it reads a few day partitions of ``records_position`` (and its default) rather than every retained day.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta

import sqlalchemy as sa

from hub.store.partitions import day_bound, position_days, position_id_floor
from hub.store.tables import records

TAIL_POINTS = 8  # how many recent fixes the map draws behind a moving patrol volunteer
TAIL_WINDOW = timedelta(minutes=10)
TAIL_ROW_CAP = 20_000  # newest position rows read for a snapshot: ~10 s of 2,000 devices at 1 Hz
# A position minted more than this before the hub received it is a drained offline backlog (or a clock days
# slow), not where the device is now: the live views skip it. That bound on the id (UUIDv7: a day is an id
# range) lets PostgreSQL plan the last few day partitions instead of every retained day (docs/scaling.md §4).
# Two days, rounded down to the UTC day: a whole day of offline backlog (what device_burst drains at full speed)
# still shows, and it costs one more hot partition than one day would.
LIVE_MAX_AGE = timedelta(days=2)

Fix = tuple[str, float, float, float | None, datetime]  # device id, lat, lon, accuracy_m, device time
Cursor = tuple[datetime, str]  # (received_at, record id)


def position_of(payload: str) -> tuple[float, float, float | None] | None:
    try:
        pos = json.loads(payload).get("position")
        return (float(pos["lat"]), float(pos["lon"]), pos.get("accuracy_m")) if pos else None
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


def _live_ids(received_from: datetime, max_age: timedelta | None) -> tuple[sa.ColumnElement[bool], ...]:
    """The condition (none for ``max_age`` None) that a position received from ``received_from`` on is live."""
    if max_age is None:
        return ()
    return (records.c.id >= position_id_floor(received_from - max_age),)


def positions_after(conn: sa.Connection, cursor: Cursor | None, limit: int = 50_000, *,
                    max_age: timedelta | None = LIVE_MAX_AGE) -> tuple[list[Fix], Cursor | None]:
    """Live position records received after ``cursor`` (received_at, id), oldest first, and the new cursor.
    Rows are (device_id, lat, lon, accuracy_m, device_time). Live: minted at most ``max_age`` (rounded down to
    the UTC day) before the cursor time; None = every position (comparisons, benchmarks). No cursor, no bound:
    the publisher passes None only while there are no positions at all."""
    query = sa.select(records.c.id, records.c.device_id, records.c.payload, records.c.device_time,
                      records.c.received_at).where(records.c.kind == "position")
    if cursor is not None:
        at, rid = cursor
        query = query.where(sa.or_(records.c.received_at > at,
                                   sa.and_(records.c.received_at == at, records.c.id > rid)), *_live_ids(at, max_age))
    rows = conn.execute(query.order_by(records.c.received_at, records.c.id).limit(limit)).all()
    out: list[Fix] = []
    for r in rows:
        pos = position_of(r.payload)
        if pos is not None:
            out.append((r.device_id, pos[0], pos[1], pos[2], r.device_time))
    return out, ((rows[-1].received_at, rows[-1].id) if rows else cursor)


def _newest_day_floor(conn: sa.Connection, max_age: timedelta) -> str | None:
    """On partitioned PostgreSQL: an id floor that keeps the newest live position, found without a clock.
    The newest day partition holding positions gives a recent receive time T (one small pruned query per day
    tried, newest first; empty days ahead cost little); the floor keeps that day and what is live at T."""
    for day in reversed(position_days(conn)):
        newest = conn.execute(sa.select(records.c.received_at).where(
            records.c.kind == "position", records.c.id >= day_bound(day),
            records.c.id < day_bound(day + timedelta(days=1))).order_by(records.c.received_at.desc()).limit(1)).scalar()
        if newest is not None:
            return min(day_bound(day), position_id_floor(newest - max_age))
    return None  # not partitioned, or positions only in the default partition: search everything


def positions_cursor(conn: sa.Connection, *, max_age: timedelta | None = LIVE_MAX_AGE) -> Cursor | None:
    """The newest position record's (received_at, id): where a fresh publisher starts. On partitioned PostgreSQL
    the newest *live* one: a newer old-backlog row is passed over, as :func:`positions_after` would skip it from
    there anyway (SQLite and the plain table, with nothing to find a recent day by, search everything)."""
    query = sa.select(records.c.received_at, records.c.id).where(records.c.kind == "position")
    floor = _newest_day_floor(conn, max_age) if max_age is not None else None
    if floor is not None:
        query = query.where(records.c.id >= floor)
    row = conn.execute(query.order_by(records.c.received_at.desc(), records.c.id.desc()).limit(1)).first()
    return (row.received_at, row.id) if row else None


def recent_tails(conn: sa.Connection, now: datetime, *, points: int = TAIL_POINTS, window: timedelta = TAIL_WINDOW,
                 cap: int = TAIL_ROW_CAP,
                 max_age: timedelta | None = LIVE_MAX_AGE) -> dict[str, list[list[float | None]]]:
    """device id → its last few fixes [lat, lon, accuracy_m, device time ms], oldest first, from the newest
    ``cap`` live position rows of the last ``window`` (bounded work however many devices report)."""
    rows = conn.execute(sa.select(records.c.device_id, records.c.payload, records.c.device_time)
                        .where(records.c.kind == "position", records.c.received_at >= now - window,
                               *_live_ids(now - window, max_age))
                        .order_by(records.c.received_at.desc(), records.c.seq.desc()).limit(cap))
    tails: dict[str, list[list[float | None]]] = {}
    for r in rows:
        tail = tails.setdefault(r.device_id, [])
        if len(tail) >= points:
            continue
        pos = position_of(r.payload)
        if pos is not None:
            tail.append([pos[0], pos[1], pos[2], int(r.device_time.timestamp() * 1000)])
    for tail in tails.values():
        tail.sort(key=lambda p: p[3] or 0)  # oldest first, by fix time (one batch shares a receive time)
    return tails
