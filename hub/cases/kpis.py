"""Evaluation KPIs (考核指标) per unit (grid / community / street / district / city) or per category, for a
period [start, end). One SQL statement over ``cases`` and ``case_events`` (SQLAlchemy Core; SQLite and
PostgreSQL); rates are divided in Python so both dialects give the same numbers.

Definitions. The *cohort* is the cases filed (立案, ``filed_at``) in [start, end); rates use it so that a
period's figures are fixed once the period is over and do not drift as later work is done.

- ``reported`` 上报数: cases opened (``created_at``) in [start, end). Duplicate reports that joined an open
  case are not new cases and are not counted.
- ``filed`` 立案数: the cohort's size.
- ``closed`` 结案数: cases closed (``closed_at``) in [start, end), whenever they were filed - the period's
  throughput. Not used as a numerator of any rate below.
- ``closure_rate`` 结案率 = cohort cases closed before ``end`` / ``filed``.
- ``on_time_closure_rate`` 按期结案率 = cohort cases closed before ``end`` AND on or before their deadline
  (``closed_at <= deadline``; the deadline is the working-time limit, extended by any suspension) / ``filed``.
  Same denominator as the closure rate, so it is never above it; a cohort case still open counts against both.
- ``rework_rate`` 返工率 = cohort cases closed before ``end`` that had at least one applied rework (返工)
  / cohort cases closed before ``end``. Only closed cases: an open case may still be reworked.
- ``mean_accept_s`` 平均接单时长: mean over cohort cases accepted before ``end`` of (first applied accept
  - first applied dispatch), wall-clock seconds. Includes time lost to returns and re-dispatches.
- ``mean_resolve_s`` 平均处置时长: mean over cohort cases closed before ``end`` of (last applied resolve
  before ``end`` - first applied dispatch), wall-clock seconds: the time to the resolution that was finally
  accepted, so rework lengthens it.
- ``overdue_now`` 当前超期数: a snapshot at ``now``, independent of the period: cases in an open state (not
  suspended, whose clock is stopped) whose deadline is before ``now``.

Rates and means are ``None`` when their denominator is zero. Times are event times (``case_events.at``).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

import sqlalchemy as sa

from hub.org.repo import engine_of
from hub.store.tables import UNIT_LEVELS, case_events, cases, categories, units

from hub.cases import states

GROUPINGS = (*reversed(UNIT_LEVELS), "category")  # grid, community, street, district, city, category


class KpiError(ValueError):
    """A bad KPI request (unknown grouping, empty period, unknown unit)."""


@dataclass(frozen=True)
class KpiRow:
    key: str | None  # unit code or category code; None = cases without one (e.g. 属地兜底 with no grid)
    name: str
    reported: int = 0
    filed: int = 0
    closed: int = 0
    cohort_closed: int = 0
    on_time_closed: int = 0
    reworked_closed: int = 0
    accepted: int = 0  # cohort cases in the mean time to accept
    overdue_now: int = 0
    mean_accept_s: float | None = None
    mean_resolve_s: float | None = None

    @property
    def closure_rate(self) -> float | None:
        return _ratio(self.cohort_closed, self.filed)

    @property
    def on_time_closure_rate(self) -> float | None:
        return _ratio(self.on_time_closed, self.filed)

    @property
    def rework_rate(self) -> float | None:
        return _ratio(self.reworked_closed, self.cohort_closed)


@dataclass(frozen=True)
class KpiReport:
    group_by: str
    start: datetime
    end: datetime
    now: datetime
    unit: str | None
    category: str | None
    rows: list[KpiRow] = field(default_factory=list)
    total: KpiRow | None = None


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 6) if whole else None


def unit_subtree(code: str) -> sa.Select:
    """``SELECT code`` of a unit and everything under it (recursive over ``parent_code``)."""
    tree = sa.select(units.c.code).where(units.c.code == code).cte("unit_subtree", recursive=True)
    child = units.alias("child")
    tree = tree.union_all(sa.select(child.c.code).where(child.c.parent_code == tree.c.code))
    return sa.select(tree.c.code)


def in_unit(code: str):
    """Cases in a unit's subtree: by grid, or by community for cases without a grid (属地兜底)."""
    subtree = unit_subtree(code)
    return sa.or_(cases.c.grid_code.in_(subtree), cases.c.community_code.in_(subtree))


def _ancestor_at(level: str) -> sa.Subquery:
    """community code → its ancestor code at ``level`` (street / district / city)."""
    up = sa.select(units.c.code.label("community"), units.c.code.label("anc"), units.c.level.label("lvl"),
                   units.c.parent_code.label("up")).where(units.c.level == "community").cte(
        f"up_{level}", recursive=True)
    parent = units.alias("parent")
    up = up.union_all(sa.select(up.c.community, parent.c.code, parent.c.level, parent.c.parent_code)
                      .where(parent.c.code == up.c.up))
    return sa.select(up.c.community, up.c.anc).where(up.c.lvl == level).subquery(f"anc_{level}")


def _seconds(dialect: str, a, b):
    """b - a in seconds, as a float, in either dialect (SQLite stores UTC text, see UtcDateTime)."""
    if dialect == "sqlite":
        return (sa.func.julianday(b) - sa.func.julianday(a)) * 86400.0
    return sa.cast(sa.extract("epoch", b), sa.Float) - sa.cast(sa.extract("epoch", a), sa.Float)


def _per_case_events(end: datetime) -> sa.Subquery:
    """Per case: first dispatch, first accept, last resolve and rework count, all before ``end``."""
    ev = case_events.c

    def when(transition: str):
        return sa.case((sa.and_(ev.outcome == "applied", ev.transition == transition), ev.at))

    return (sa.select(ev.case_id,
                      sa.func.min(when("dispatch")).label("first_dispatch"),
                      sa.func.min(when("accept")).label("first_accept"),
                      sa.func.max(when("resolve")).label("last_resolve"),
                      sa.func.sum(sa.case((sa.and_(ev.outcome == "applied", ev.transition == "rework"), 1),
                                          else_=0)).label("reworks"))
            .where(ev.at < end).group_by(ev.case_id).subquery("per_case"))


def compute_kpis(store_or_engine, *, start: datetime, end: datetime, group_by: str = "grid",
                 unit: str | None = None, category: str | None = None,
                 clock: Callable[[], datetime] | None = None, now: datetime | None = None) -> KpiReport:
    """KPIs for [start, end) grouped by ``group_by``, limited to ``unit``'s subtree and/or one ``category``.
    ``now`` (or ``clock()``) is the instant of the overdue snapshot."""
    if group_by not in GROUPINGS:
        raise KpiError(f"group_by must be one of {', '.join(GROUPINGS)}")
    if start.tzinfo is None or end.tzinfo is None or not start < end:
        raise KpiError("need timezone-aware start < end")
    now = now or (clock() if clock else datetime.now(start.tzinfo))
    engine = engine_of(store_or_engine)
    with engine.connect() as conn:
        if unit is not None and conn.execute(sa.select(units.c.code).where(units.c.code == unit)).first() is None:
            raise KpiError(f"unknown unit {unit}")
        per_case = _per_case_events(end)
        source = cases.outerjoin(per_case, per_case.c.case_id == cases.c.id)
        if group_by == "grid":
            key = cases.c.grid_code
        elif group_by == "community":
            key = cases.c.community_code
        elif group_by == "category":
            key = cases.c.category_code
        else:
            anc = _ancestor_at(group_by)
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
        rows = {r.key: _row(r.key, r._mapping) for r in conn.execute(grouped)}
        total_row = _row(None, conn.execute(total).one()._mapping)
        names = _names(conn, group_by, unit)
    for code in names:  # every unit of the level under the filter appears, with zeros if it had no cases
        if group_by != "category" and code not in rows:
            rows[code] = KpiRow(code, "")
    ordered = sorted(rows.values(), key=lambda r: (r.key is None, r.key or ""))
    ordered = [_named(r, names) for r in ordered]
    return KpiReport(group_by, start, end, now, unit, category, ordered,
                     _named(total_row, {None: "合计 total"}))


def _measures(dialect: str, per_case: sa.Subquery, start: datetime, end: datetime, now: datetime) -> list:
    c = cases.c

    def count(*conds):
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


def _row(key: str | None, m) -> KpiRow:
    def mean(value):
        return None if value is None else round(float(value), 3)

    return KpiRow(key, "", **{k: int(m[k] or 0) for k in (
        "reported", "filed", "closed", "cohort_closed", "on_time_closed", "reworked_closed", "accepted",
        "overdue_now")}, mean_accept_s=mean(m["mean_accept_s"]), mean_resolve_s=mean(m["mean_resolve_s"]))


def _names(conn, group_by: str, unit: str | None) -> dict[str | None, str]:
    if group_by == "category":
        found = {code: f"{zh} {en}" for code, zh, en in conn.execute(
            sa.select(categories.c.code, categories.c.name_zh, categories.c.name_en))}
        return found | {None: "未分类 uncategorised"}
    query = sa.select(units.c.code, units.c.name).where(units.c.level == group_by)
    if unit is not None:
        query = query.where(units.c.code.in_(unit_subtree(unit)))
    return dict(conn.execute(query).all())


def _named(row: KpiRow, names: dict) -> KpiRow:
    default = "未落格 no unit" if row.key is None else row.key
    return replace(row, name=names.get(row.key, default))

