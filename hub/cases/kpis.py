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

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from hub.cases.kpi_repo import in_unit, kpi_figures
from hub.org import repo as org_repo
from hub.store.db import Database
from hub.store.vocabulary import UNIT_LEVELS

__all__ = ["GROUPINGS", "KpiError", "KpiReport", "KpiRow", "compute_kpis", "in_unit"]

# Cases are placed in grids, not buildings: KPIs group from the grid up (grid, community, ..., city) or by category.
GROUPINGS = (*reversed(UNIT_LEVELS[:UNIT_LEVELS.index("grid") + 1]), "category")


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
    total: KpiRow = field(default_factory=lambda: KpiRow(None, "合计 total"))


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 6) if whole else None


def compute_kpis(db: Database, *, start: datetime, end: datetime, group_by: str = "grid",
                 unit: str | None = None, category: str | None = None,
                 clock: Callable[[], datetime] | None = None, now: datetime | None = None) -> KpiReport:
    """KPIs for [start, end) grouped by ``group_by``, limited to ``unit``'s subtree and/or one ``category``.
    ``now`` (or ``clock()``) is the instant of the overdue snapshot."""
    if group_by not in GROUPINGS:
        raise KpiError(f"group_by must be one of {', '.join(GROUPINGS)}")
    if start.tzinfo is None or end.tzinfo is None or not start < end:
        raise KpiError("need timezone-aware start < end")
    now = now or (clock() if clock else datetime.now(start.tzinfo))
    with db.read() as conn:
        if unit is not None and org_repo.unit(conn, unit) is None:
            raise KpiError(f"unknown unit {unit}")
        figures, total_figures = kpi_figures(conn, group_by=group_by, start=start, end=end, now=now, unit=unit,
                                             category=category)
        rows = {key: _row(key, m) for key, m in figures.items()}
        total_row = _row(None, total_figures)
        names = _names(conn, group_by, unit)
    for code in names:  # every unit of the level under the filter appears, with zeros if it had no cases
        if group_by != "category" and code not in rows:
            rows[code] = KpiRow(code, "")
    ordered = sorted(rows.values(), key=lambda r: (r.key is None, r.key or ""))
    ordered = [_named(r, names) for r in ordered]
    return KpiReport(group_by, start, end, now, unit, category, ordered,
                     _named(total_row, {None: "合计 total"}))


def _row(key: str | None, m: Mapping[str, Any]) -> KpiRow:
    def mean(value: Any) -> float | None:
        return None if value is None else round(float(value), 3)

    return KpiRow(key, "", **{k: int(m[k] or 0) for k in (
        "reported", "filed", "closed", "cohort_closed", "on_time_closed", "reworked_closed", "accepted",
        "overdue_now")}, mean_accept_s=mean(m["mean_accept_s"]), mean_resolve_s=mean(m["mean_resolve_s"]))


def _names(conn: Any, group_by: str, unit: str | None) -> dict[str | None, str]:
    if group_by == "category":
        found: dict[str | None, str] = {c["code"]: f"{c['name_zh']} {c['name_en']}"
                                        for c in org_repo.category_rows(conn)}
        return found | {None: "未分类 uncategorised"}
    within = org_repo.unit_subtree(unit) if unit is not None else None
    return {code: name for code, name in org_repo.unit_names(conn, group_by, within).items()}


def _named(row: KpiRow, names: Mapping[str | None, str]) -> KpiRow:
    default = "未落格 no unit" if row.key is None else row.key
    return replace(row, name=names.get(row.key, default))

