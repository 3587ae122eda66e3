"""Reads behind the dashboard's live views: the case feed (from the audit trail), scope filters, and
recent positions with short tails. SQLAlchemy Core, SQLite and PostgreSQL alike.

Scope follows :meth:`hub.auth.operators.Operator.sees`: unit codes nest by prefix, so an operator's subtree
is every code starting with their scope code. A case belongs to its grid, or to its community when it
could not be placed in a grid (属地兜底).

Positions here are live ones only (``LIVE_MAX_AGE``): each query bounds the record id from below, so on
PostgreSQL it reads a few day partitions of ``records_position`` (and its default) rather than every retained day.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from hub.store.partitions import day_bound, position_days, position_id_floor
from hub.store.tables import case_events, cases, categories, people, records
from hub.welfare import WELFARE_CATEGORY

TAIL_POINTS = 8  # how many recent fixes the map draws behind a moving patrol volunteer
TAIL_WINDOW = timedelta(minutes=10)
TAIL_ROW_CAP = 20_000  # newest position rows read for a snapshot: ~10 s of 2,000 devices at 1 Hz
# A position minted more than this before the hub received it is a drained offline backlog (or a clock days
# slow), not where the device is now: the live views skip it. That bound on the id (UUIDv7: a day is an id
# range) lets PostgreSQL plan the last few day partitions instead of every retained day (docs/scaling.md §4).
# Two days, rounded down to the UTC day: a whole day of offline backlog (what device_burst drains at full speed)
# still shows, and it costs one more hot partition than one day would.
LIVE_MAX_AGE = timedelta(days=2)


def case_unit(grid_code: str | None, community_code: str | None) -> str | None:
    return grid_code or community_code


def case_in_scope(scope_code: str):
    """SQL: the case's unit lies in the operator's subtree."""
    return sa.func.coalesce(cases.c.grid_code, cases.c.community_code).startswith(scope_code, autoescape=True)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _photos(payload: str | None) -> list[str]:
    if not payload:
        return []
    try:
        return [p["sha256"] for p in json.loads(payload).get("photos", []) if isinstance(p, dict) and "sha256" in p]
    except (ValueError, AttributeError, TypeError):
        return []


def _feed_query():
    actor = people.alias("actor_person")
    return (sa.select(case_events.c.id, case_events.c.case_id, case_events.c.transition, case_events.c.from_state,
                      case_events.c.to_state, case_events.c.actor, case_events.c.actor_device,
                      case_events.c.assignee.label("event_assignee"), case_events.c.at, case_events.c.reason,
                      case_events.c.note.label("event_note"), case_events.c.evidence,
                      cases.c.state, cases.c.level, cases.c.title, cases.c.note, cases.c.category_code,
                      cases.c.grid_code, cases.c.community_code, cases.c.lat, cases.c.lon, cases.c.report_count,
                      cases.c.assignee, cases.c.deadline, cases.c.escalation_level,
                      categories.c.name_zh, categories.c.name_en, records.c.payload.label("source_payload"),
                      actor.c.name.label("actor_name"))
            .join(cases, cases.c.id == case_events.c.case_id)
            .outerjoin(categories, categories.c.code == cases.c.category_code)
            .outerjoin(records, records.c.id == cases.c.source_record_id)
            .outerjoin(actor, actor.c.id == case_events.c.actor)
            .where(case_events.c.outcome == "applied"))


def feed_item(row) -> dict[str, Any]:
    """One feed entry (JSON-ready) from a row of :func:`_feed_query`."""
    m = row._mapping
    photos = _photos(m["source_payload"])
    if m["evidence"]:
        photos += [sha for sha in m["evidence"] if isinstance(sha, str) and sha not in photos]
    return {
        "event_id": m["id"], "case_id": m["case_id"], "transition": m["transition"],
        "from_state": m["from_state"], "to_state": m["to_state"], "at": _iso(m["at"]),
        "actor": m["actor"], "actor_name": m["actor_name"], "actor_device": m["actor_device"],
        "assignee": m["event_assignee"] or m["assignee"], "reason": m["reason"], "note": m["event_note"],
        "state": m["state"], "level": m["level"], "title": m["title"], "case_note": m["note"],
        "category_code": m["category_code"], "category_zh": m["name_zh"], "category_en": m["name_en"],
        "grid_code": m["grid_code"], "community_code": m["community_code"],
        "unit": case_unit(m["grid_code"], m["community_code"]), "lat": m["lat"], "lon": m["lon"],
        "report_count": m["report_count"], "deadline": _iso(m["deadline"]), "escalation_level": m["escalation_level"],
        "welfare": m["category_code"] == WELFARE_CATEGORY, "photos": photos[:9],
    }


def feed_after(conn: sa.Connection, after_id: int, *, extra_ids: Iterable[int] = (), scope_code: str | None = None,
               limit: int = 500) -> list[dict[str, Any]]:
    """Applied case events with id > ``after_id`` (plus ``extra_ids``: late commits below it), oldest first."""
    wanted = [i for i in extra_ids]
    cond = case_events.c.id > after_id
    if wanted:
        cond = sa.or_(cond, case_events.c.id.in_(wanted))
    query = _feed_query().where(cond).order_by(case_events.c.id).limit(limit)
    if scope_code is not None:
        query = query.where(case_in_scope(scope_code))
    return [feed_item(r) for r in conn.execute(query)]


def event_ids_after(conn: sa.Connection, after_id: int, extra_ids: Iterable[int] = (), limit: int = 2000) -> list[int]:
    """Every case event id (any outcome) past the cursor: the cursor must move over rejected ones too."""
    wanted = list(extra_ids)
    cond = case_events.c.id > after_id
    if wanted:
        cond = sa.or_(cond, case_events.c.id.in_(wanted))
    return list(conn.execute(sa.select(case_events.c.id).where(cond).order_by(case_events.c.id).limit(limit)).scalars())


def recent_feed(conn: sa.Connection, scope_code: str | None, limit: int = 50) -> list[dict[str, Any]]:
    """The newest feed entries in scope (None: everything), oldest first (what the feed shows on load)."""
    query = _feed_query().order_by(case_events.c.id.desc()).limit(limit)
    if scope_code is not None:
        query = query.where(case_in_scope(scope_code))
    return [feed_item(r) for r in reversed(conn.execute(query).all())]


def max_case_event_id(conn: sa.Connection) -> int:
    return conn.execute(sa.select(sa.func.max(case_events.c.id))).scalar() or 0


# -- positions --------------------------------------------------------------------------------------
def position_of(payload: str) -> tuple[float, float, float | None] | None:
    try:
        pos = json.loads(payload).get("position")
        return (float(pos["lat"]), float(pos["lon"]), pos.get("accuracy_m")) if pos else None
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


def _live_ids(received_from: datetime, max_age: timedelta | None) -> tuple:
    """The condition (none for ``max_age`` None) that a position received from ``received_from`` on is live."""
    if max_age is None:
        return ()
    return (records.c.id >= position_id_floor(received_from - max_age),)


def positions_after(conn: sa.Connection, cursor: tuple[datetime, str] | None, limit: int = 50_000, *,
                    max_age: timedelta | None = LIVE_MAX_AGE):
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
    out = []
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


def positions_cursor(conn: sa.Connection, *, max_age: timedelta | None = LIVE_MAX_AGE) -> tuple[datetime, str] | None:
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
                 cap: int = TAIL_ROW_CAP, max_age: timedelta | None = LIVE_MAX_AGE) -> dict[str, list[list]]:
    """device id → its last few fixes [lat, lon, accuracy_m, device time ms], oldest first, from the newest
    ``cap`` live position rows of the last ``window`` (bounded work however many devices report)."""
    rows = conn.execute(sa.select(records.c.device_id, records.c.payload, records.c.device_time)
                        .where(records.c.kind == "position", records.c.received_at >= now - window,
                               *_live_ids(now - window, max_age))
                        .order_by(records.c.received_at.desc(), records.c.seq.desc()).limit(cap))
    tails: dict[str, list[list]] = {}
    for r in rows:
        tail = tails.setdefault(r.device_id, [])
        if len(tail) >= points:
            continue
        pos = position_of(r.payload)
        if pos is not None:
            tail.append([pos[0], pos[1], pos[2], int(r.device_time.timestamp() * 1000)])
    for tail in tails.values():
        tail.sort(key=lambda p: p[3])  # oldest first, by fix time (one batch shares a receive time)
    return tails
