"""Read models over the case tables for the people who look at them: the dashboard's case list, map and live
feed, and the public Open311 facade. Joins with other domains go through their owners' views
(``hub.org.repo.category_names_view``, ``person_names_view``, ``unit_subtree``; ``hub.store.records.payload_view``).

Scope is a set of units (``scope_units``: a ``SELECT code``, e.g. ``OperatorScope.case_units``; or ``scope_unit``:
one unit code whose subtree, by the hierarchy, bounds the read); None reads everything, unplaced cases too."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from hub.cases.kpi_repo import in_unit
from hub.cases.repo import in_units
from hub.cases.rows import CaseRow
from hub.org import repo as org_repo
from hub.store import records as record_rows
from hub.store.tables import case_events, cases

Row = dict[str, Any]


def case_mapping(conn: sa.Connection, case_id: str) -> Row | None:
    """One case's columns as a mapping (columns added later come along)."""
    row = conn.execute(sa.select(cases).where(cases.c.id == case_id)).first()
    return dict(row._mapping) if row else None


# -- the case list ------------------------------------------------------------------------------------
def _overdue(now: datetime, live: Sequence[str]) -> sa.ColumnElement[bool]:
    return sa.and_(cases.c.state.in_(list(live)), cases.c.deadline.is_not(None), cases.c.deadline < now)


def find_cases(conn: sa.Connection, *, now: datetime, live: Sequence[str], state: list[str] | None = None,
               level: list[str] | None = None, unit: str | None = None, category: str | None = None,
               assignee: str | None = None, overdue: bool | None = None, flagged: bool | None = None,
               order: str = "newest", offset: int = 0, limit: int = 50,
               scope_units: sa.Select[str] | None = None) -> tuple[list[Row], int]:
    """Case rows matching every given filter, and the total. ``unit``: a unit's whole subtree; ``scope_units``:
    the operator's units (None: everything); ``live``: the states whose deadline clock runs."""
    where: list[sa.ColumnElement[bool]] = [] if scope_units is None else [in_units(scope_units)]
    if state:
        where.append(cases.c.state.in_(state))
    if level:
        where.append(cases.c.level.in_(level))
    if unit:
        where.append(in_unit(unit))
    if category:
        where.append(cases.c.category_code == category)
    if assignee:
        where.append(cases.c.assignee == assignee)
    if overdue is not None:
        where.append(_overdue(now, live) if overdue else sa.not_(_overdue(now, live)))
    if flagged is not None:
        where.append(cases.c.flagged_for_review == flagged)
    newest = (cases.c.created_at.desc(), cases.c.id.desc())
    ordering: tuple[Any, ...] = newest
    if order == "overdue_first":
        # Overdue first, then the nearest deadline (none last), then the newest.
        ordering = (sa.case((_overdue(now, live), 0), else_=1), cases.c.deadline.is_(None), cases.c.deadline, *newest)
    total = conn.execute(sa.select(sa.func.count()).select_from(cases).where(*where)).scalar_one()
    rows = conn.execute(sa.select(cases).where(*where).order_by(*ordering).offset(offset).limit(limit))
    return [dict(r._mapping) for r in rows], int(total)


# -- the map ---------------------------------------------------------------------------------------------
def _scoped(query: sa.Select[Any], scope_units: sa.Select[str] | None) -> sa.Select[Any]:
    return query if scope_units is None else query.where(in_units(scope_units))


def _in_unit_subtree(query: sa.Select[Any], scope_unit: str | None) -> sa.Select[Any]:
    return query if scope_unit is None else query.where(in_units(org_repo.unit_subtree(scope_unit)))


def open_load(conn: sa.Connection, open_states: Sequence[str], running: Sequence[str], now: datetime,
              scope_units: sa.Select[str] | None) -> list[tuple[str | None, str, int, int]]:
    """(grid, level, open cases, of them overdue) per grid and level; ``running``: states whose clock runs."""
    overdue = sa.and_(cases.c.deadline.is_not(None), cases.c.deadline < now, cases.c.state.in_(list(running)))
    query = (sa.select(cases.c.grid_code, cases.c.level, sa.func.count().label("n"),
                       sa.func.sum(sa.case((overdue, 1), else_=0)).label("late"))
             .where(cases.c.state.in_(list(open_states)))
             .group_by(cases.c.grid_code, cases.c.level))
    return [(g, lv, int(n), int(late or 0)) for g, lv, n, late in conn.execute(_scoped(query, scope_units))]


def open_cases_named(conn: sa.Connection, open_states: Sequence[str], scope_units: sa.Select[str] | None,
                     limit: int = 2000) -> list[tuple[CaseRow, str | None, str | None, str | None]]:
    """Open cases in scope, newest first, each with (category zh name, category en name, assignee's name)."""
    cat, who = org_repo.category_names_view(), org_repo.person_names_view()
    query = (sa.select(cases, cat.c.name_zh, cat.c.name_en, who.c.name.label("who"))
             .outerjoin(cat, cat.c.code == cases.c.category_code)
             .outerjoin(who, who.c.id == cases.c.assignee)
             .where(cases.c.state.in_(list(open_states)))
             .order_by(cases.c.created_at.desc()).limit(limit))
    out = []
    for r in conn.execute(_scoped(query, scope_units)):
        m = dict(r._mapping)
        zh, en, name = m.pop("name_zh"), m.pop("name_en"), m.pop("who")
        out.append((CaseRow(**m), zh, en, name))
    return out


# -- the live feed ----------------------------------------------------------------------------------------
def _feed_query() -> sa.Select[Any]:
    cat, actor, source = org_repo.category_names_view(), org_repo.person_names_view(), record_rows.payload_view()
    return (sa.select(case_events.c.id, case_events.c.case_id, case_events.c.transition, case_events.c.from_state,
                      case_events.c.to_state, case_events.c.actor, case_events.c.actor_device,
                      case_events.c.assignee.label("event_assignee"), case_events.c.at, case_events.c.reason,
                      case_events.c.note.label("event_note"), case_events.c.evidence,
                      cases.c.state, cases.c.level, cases.c.title, cases.c.note, cases.c.category_code,
                      cases.c.grid_code, cases.c.community_code, cases.c.lat, cases.c.lon, cases.c.report_count,
                      cases.c.assignee, cases.c.deadline, cases.c.escalation_level,
                      cat.c.name_zh, cat.c.name_en, source.c.payload.label("source_payload"),
                      actor.c.name.label("actor_name"))
            .join(cases, cases.c.id == case_events.c.case_id)
            .outerjoin(cat, cat.c.code == cases.c.category_code)
            .outerjoin(source, source.c.id == cases.c.source_record_id)
            .outerjoin(actor, actor.c.id == case_events.c.actor)
            .where(case_events.c.outcome == "applied"))


def feed_rows_after(conn: sa.Connection, after_id: int, *, extra_ids: Iterable[int] = (),
                    scope_unit: str | None = None, limit: int = 500) -> list[Row]:
    """Applied case events with id > ``after_id`` (plus ``extra_ids``: late commits below it), oldest first,
    each with its case's current picture; ``scope_unit``: only cases in that unit's subtree (None: all)."""
    wanted = list(extra_ids)
    cond = case_events.c.id > after_id
    if wanted:
        cond = sa.or_(cond, case_events.c.id.in_(wanted))
    query = _in_unit_subtree(_feed_query().where(cond), scope_unit).order_by(case_events.c.id).limit(limit)
    return [dict(r._mapping) for r in conn.execute(query)]


def recent_feed_rows(conn: sa.Connection, scope_unit: str | None, limit: int = 50) -> list[Row]:
    """The newest applied events in the subtree of ``scope_unit`` (None: everything), oldest first."""
    query = _in_unit_subtree(_feed_query(), scope_unit).order_by(case_events.c.id.desc()).limit(limit)
    return [dict(r._mapping) for r in reversed(conn.execute(query).all())]


def event_ids_after(conn: sa.Connection, after_id: int, extra_ids: Iterable[int] = (), limit: int = 2000) -> list[int]:
    """Every case event id (any outcome) past the cursor: the cursor must move over rejected ones too."""
    wanted = list(extra_ids)
    cond = case_events.c.id > after_id
    if wanted:
        cond = sa.or_(cond, case_events.c.id.in_(wanted))
    return list(conn.execute(sa.select(case_events.c.id).where(cond).order_by(case_events.c.id).limit(limit)).scalars())


def max_event_id(conn: sa.Connection) -> int:
    return int(conn.execute(sa.select(sa.func.max(case_events.c.id))).scalar() or 0)


# -- Open311: only cases opened from a report record, never internal tasks --------------------------------------
def _public(internal_categories: Iterable[str]) -> sa.ColumnElement[bool]:
    return sa.and_(cases.c.source_record_id.in_(record_rows.ids_of_kind("report")),
                   cases.c.category_code.not_in(sorted(internal_categories)))


def public_cases(conn: sa.Connection, *, internal: Iterable[str], ids: list[str] | None = None,
                 start: datetime | None = None, end: datetime | None = None,
                 categories: list[str] | None = None, closed: bool | None = None,
                 closed_states: Sequence[str] = (), limit: int = 1000) -> list[Row]:
    """Public cases, newest first: by id (``ids`` overrides every other filter), else created in [start, end]
    of the given categories, open (``closed`` False) or closed (True) by ``closed_states``."""
    query = sa.select(cases).where(_public(internal))
    if ids:
        query = query.where(cases.c.id.in_(ids))
    else:
        if start is not None:
            query = query.where(cases.c.created_at >= start)
        if end is not None:
            query = query.where(cases.c.created_at <= end)
        if categories:
            query = query.where(cases.c.category_code.in_(categories))
        if closed is True:
            query = query.where(cases.c.state.in_(list(closed_states)))
        elif closed is False:
            query = query.where(cases.c.state.not_in(list(closed_states)))
    query = query.order_by(cases.c.created_at.desc(), cases.c.id.desc()).limit(limit)
    return [dict(r._mapping) for r in conn.execute(query)]


def public_events(conn: sa.Connection, *, internal: Iterable[str], start: datetime, end: datetime,
                  ids: list[str] | None = None, limit: int = 1000) -> list[sa.Row[Any]]:
    """Applied events of public cases in [start, end], oldest first: (id, case_id, transition, to_state, at,
    reason, note)."""
    ev = case_events.c
    query = (sa.select(ev.id, ev.case_id, ev.transition, ev.to_state, ev.at, ev.reason, ev.note)
             .join(cases, cases.c.id == ev.case_id)
             .where(_public(internal), ev.outcome == "applied", ev.at >= start, ev.at <= end))
    if ids:
        query = query.where(ev.case_id.in_(ids))
    return list(conn.execute(query.order_by(ev.at, ev.id).limit(limit)))
