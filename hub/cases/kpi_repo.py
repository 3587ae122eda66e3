"""The SQL behind the evaluation KPIs (``hub/cases/kpis.py`` defines them): one statement over ``cases`` and
``case_events`` per grouping, units and category names from their owner (``hub.org.repo``). SQLAlchemy Core,
SQLite and PostgreSQL alike; rates are divided in Python so both dialects give the same numbers."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from hub.cases import states
from hub.org import repo as org_repo
from hub.store.tables import case_events, cases


def in_unit(code: str) -> sa.ColumnElement[bool]:
    """Cases in a unit's subtree: by grid, or by community for cases without a grid (属地兜底)."""
    subtree = org_repo.unit_subtree(code)
    return sa.or_(cases.c.grid_code.in_(subtree), cases.c.community_code.in_(subtree))


def _seconds(dialect: str, a: Any, b: Any) -> Any:
    """b - a in seconds, as a float, in either dialect (SQLite stores UTC text, see UtcDateTime)."""
    if dialect == "sqlite":
        return (sa.func.julianday(b) - sa.func.julianday(a)) * 86400.0
    return sa.cast(sa.extract("epoch", b), sa.Float) - sa.cast(sa.extract("epoch", a), sa.Float)


def _per_case_events(end: datetime, case_ids: Any = None) -> sa.Subquery:
    """Per case: first dispatch, first accept, last resolve and rework count, all before ``end``; only the cases
    ``case_ids`` (ids, or a subquery of ids) names, when given (the trend: a bucket's cases, not all history)."""
    ev = case_events.c

    def when(transition: str) -> Any:
        return sa.case((sa.and_(ev.outcome == "applied", ev.transition == transition), ev.at))

    return (sa.select(ev.case_id,
                      sa.func.min(when("dispatch")).label("first_dispatch"),
                      sa.func.min(when("accept")).label("first_accept"),
                      sa.func.max(when("resolve")).label("last_resolve"),
                      sa.func.sum(sa.case((sa.and_(ev.outcome == "applied", ev.transition == "rework"), 1),
                                          else_=0)).label("reworks"))
            .where(ev.at < end, *([] if case_ids is None else [ev.case_id.in_(case_ids)]))
            .group_by(ev.case_id).subquery("per_case"))


def _measures(dialect: str, per_case: sa.Subquery, start: datetime, end: datetime, now: datetime) -> list[Any]:
    c = cases.c

    def count(*conds: Any) -> Any:
        return sa.func.coalesce(sa.func.sum(sa.case((sa.and_(*conds), 1), else_=0)), 0)

    cohort = sa.and_(c.filed_at >= start, c.filed_at < end)
    closed_by_end = sa.and_(cohort, c.closed_at.is_not(None), c.closed_at < end)
    accepted = sa.and_(cohort, per_case.c.first_accept.is_not(None), per_case.c.first_dispatch.is_not(None))
    resolved = sa.and_(closed_by_end, per_case.c.last_resolve.is_not(None), per_case.c.first_dispatch.is_not(None))
    live = tuple(states.OPEN)
    return [
        count(c.created_at >= start, c.created_at < end).label("reported"),
        count(cohort).label("filed"),
        count(c.closed_at >= start, c.closed_at < end).label("closed"),
        count(closed_by_end).label("cohort_closed"),
        count(closed_by_end, c.deadline.is_not(None), c.closed_at <= c.deadline).label("on_time_closed"),
        count(closed_by_end, per_case.c.reworks > 0).label("reworked_closed"),
        count(accepted).label("accepted"),
        count(c.state.in_(live), c.deadline.is_not(None), c.deadline < now).label("overdue_now"),
        sa.func.avg(sa.case((accepted, _seconds(dialect, per_case.c.first_dispatch, per_case.c.first_accept))))
        .label("mean_accept_s"),
        sa.func.avg(sa.case((resolved, _seconds(dialect, per_case.c.first_dispatch, per_case.c.last_resolve))))
        .label("mean_resolve_s"),
    ]


def kpi_figures(conn: sa.Connection, *, group_by: str, start: datetime, end: datetime, now: datetime,
                unit: str | None,
                category: str | None) -> tuple[dict[str | None, Mapping[str, Any]], Mapping[str, Any]]:
    """(group key → its raw figures, the total's raw figures) for cases filtered by unit subtree / category."""
    per_case = _per_case_events(end)
    source: Any = cases.outerjoin(per_case, per_case.c.case_id == cases.c.id)
    key: Any
    if group_by == "grid":
        key = cases.c.grid_code
    elif group_by == "community":
        key = cases.c.community_code
    elif group_by == "category":
        key = cases.c.category_code
    else:
        anc = org_repo.community_ancestors(group_by)
        source = source.outerjoin(anc, anc.c.community == cases.c.community_code)
        key = anc.c.anc
    where = []
    if unit is not None:
        where.append(in_unit(unit))
    if category is not None:
        where.append(cases.c.category_code == category)
    measures = _measures(conn.dialect.name, per_case, start, end, now)
    grouped = sa.select(key.label("key"), *measures).select_from(source).where(*where).group_by(key)
    total = sa.select(*measures).select_from(source).where(*where)
    rows: dict[str | None, Mapping[str, Any]] = {r.key: dict(r._mapping) for r in conn.execute(grouped)}
    return rows, dict(conn.execute(total).one()._mapping)


# The closed loop's stages, each the transition(s) whose applied event means a case reached it.
LOOP_STAGES = {"filed": ("file",), "dispatched": ("dispatch",), "resolved": ("resolve", "auto_resolve"),
               "verified": ("verify",), "closed": ("close",)}


def loop_figures(conn: sa.Connection, *, since: datetime, now: datetime) -> dict[str, int]:
    """How far the cases opened since ``since`` got round the loop, from the cases and their trail:

    reported    cases opened (``created_at`` >= since; a duplicate report joins its case and is not counted)
    filed, dispatched, resolved, verified, closed
                of those, the cases with at least one applied event of that step (resolved: ``resolve`` or
                ``auto_resolve``), whatever happened after it - a case reworked after verification still counts
                as verified once; each case counts once per step, so the figures never grow down the loop
    overdue     of those, the cases open now (not suspended: its clock stops) past their deadline, as
                ``overdue_now`` of the KPIs
    """
    c, ev = cases.c, case_events.c
    cohort = sa.select(c.id).where(c.created_at >= since).scalar_subquery()

    def reached(transitions: tuple[str, ...]) -> Any:
        return (sa.select(sa.func.count(sa.distinct(ev.case_id)))
                .where(ev.case_id.in_(cohort), ev.outcome == "applied", ev.transition.in_(transitions))
                .scalar_subquery())

    overdue = sa.func.coalesce(sa.func.sum(sa.case((sa.and_(
        c.state.in_(tuple(states.OPEN)), c.deadline.is_not(None), c.deadline < now), 1), else_=0)), 0)
    row = conn.execute(sa.select(sa.func.count(c.id).label("reported"),
                                 *(reached(t).label(stage) for stage, t in LOOP_STAGES.items()),
                                 overdue.label("overdue")).where(c.created_at >= since)).one()
    return {key: int(value or 0) for key, value in row._mapping.items()}
