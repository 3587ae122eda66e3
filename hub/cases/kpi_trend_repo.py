"""The SQL behind the KPI trend (``hub/cases/kpi_trend.py``): one bucket's totals with the KPI table's own
measures (``kpi_repo._measures`` and ``_per_case_events``, so nothing is redefined), computed over the cases the
bucket touches - opened, filed or closed in it - instead of the whole history. Every period figure counts only such
cases, so the totals are the same; the per-case event figures are then gathered for those cases only. The one
figure that is not about the period, ``overdue_now``, would be wrong here and is dropped.

``filed_at`` and ``closed_at`` have no index, so finding a bucket's cases is a scan of ``cases``; the trend scans
once for the whole span (:func:`touched_cases`) and hands each bucket its case ids, which the database then
reaches by primary key."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from hub.cases.kpi_repo import _measures, _per_case_events, in_unit
from hub.store.tables import cases


def _touched(start: datetime, end: datetime, unit: str | None, category: str | None) -> list[Any]:
    c = cases.c
    where: list[Any] = [sa.or_(sa.and_(c.created_at >= start, c.created_at < end),
                               sa.and_(c.filed_at >= start, c.filed_at < end),
                               sa.and_(c.closed_at >= start, c.closed_at < end))]
    if unit is not None:
        where.append(in_unit(unit))
    if category is not None:
        where.append(c.category_code == category)
    return where


def touched_cases(conn: sa.Connection, *, start: datetime, end: datetime, unit: str | None,
                  category: str | None) -> list[tuple[str, datetime, datetime | None, datetime | None]]:
    """(id, created_at, filed_at, closed_at) of the cases opened, filed or closed in [start, end)."""
    c = cases.c
    stmt = sa.select(c.id, c.created_at, c.filed_at, c.closed_at).where(*_touched(start, end, unit, category))
    return [(r.id, r.created_at, r.filed_at, r.closed_at) for r in conn.execute(stmt)]


def bucket_totals(conn: sa.Connection, *, start: datetime, end: datetime, unit: str | None, category: str | None,
                  case_ids: Sequence[str] | None = None) -> Mapping[str, Any]:
    """The raw figures of ``kpi_figures``'s total for [start, end), without ``overdue_now``. ``case_ids``: a
    superset of the bucket's cases, when known (they are looked up by key instead of scanning the table)."""
    c = cases.c
    where = _touched(start, end, unit, category)
    if case_ids is not None:
        where.append(c.id.in_(case_ids))
    # a few ids themselves: PostgreSQL then reaches their events by index instead of a hash semi-join (measured
    # with benchmarks/kpi_trend.py: faster for day buckets, slower for a city's months of thousands of cases)
    few = case_ids is not None and len(case_ids) <= 1000
    per_case = _per_case_events(end, case_ids if few else sa.select(c.id).where(*where))
    source = cases.outerjoin(per_case, per_case.c.case_id == c.id)
    measures = [m for m in _measures(conn.dialect.name, per_case, start, end, end) if m.name != "overdue_now"]
    row = dict(conn.execute(sa.select(*measures).select_from(source).where(*where)).one()._mapping)
    return row | {"overdue_now": 0}
