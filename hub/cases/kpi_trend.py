"""The evaluation KPIs over time: one point per calendar day, week (Monday first) or month in the deployment's
time zone. Each point is the KPI table's total over that bucket with the table's own measures
(:mod:`hub.cases.kpis`; the SQL, ``kpi_trend_repo``, runs ``kpi_repo``'s measures over the cases a bucket touches:
opened, filed or closed in it), so every figure keeps exactly its definition; nothing is redefined here.

Buckets cover whole calendar buckets: the first is the one containing ``first_day``, the last the one containing
``last_day`` (a month bucket starts on the 1st even if ``first_day`` is the 15th). Counts (reported, filed,
closed) add up over buckets to the figures of the whole span; rates do not (each bucket has its own cohort).

No overdue series: ``overdue_now`` is a snapshot of cases open *now* (the KPI table shows it), and the case table
keeps no history of states, so "overdue at the end of each bucket" would need a replay of every case's trail.
"""
from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hub.cases.kpi_trend_repo import bucket_totals, touched_cases
from hub.cases.kpis import KpiError, KpiRow, _row
from hub.org import repo as org_repo
from hub.store.db import Database

__all__ = ["BUCKETS", "MAX_BUCKETS", "KpiTrend", "TrendPoint", "bucket_edges", "compute_trend"]

BUCKETS = ("day", "week", "month")
MAX_BUCKETS = 366  # a year of days; 52 weeks and 24 months fit easily
MAX_IDS = 20_000  # a bucket with more cases than this scans the table instead (bound parameters have limits)


@dataclass(frozen=True)
class TrendPoint:
    label: str  # 2024-06-03 (day), 2024-06-03 (week: its Monday), 2024-06 (month)
    start: datetime
    end: datetime
    kpis: KpiRow  # overdue_now is not filled in (see above)


@dataclass(frozen=True)
class KpiTrend:
    bucket: str
    time_zone: str
    start: datetime
    end: datetime
    now: datetime
    unit: str | None
    category: str | None
    points: list[TrendPoint]


def _bucket_start(day: date, bucket: str) -> date:
    if bucket == "week":
        return day - timedelta(days=day.weekday())
    if bucket == "month":
        return day.replace(day=1)
    return day


def _next(day: date, bucket: str) -> date:
    if bucket == "week":
        return day + timedelta(days=7)
    if bucket == "month":
        return date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return day + timedelta(days=1)


def bucket_edges(first_day: date, last_day: date, bucket: str) -> list[date]:
    """The local dates where buckets start, plus the end of the last one: n buckets → n + 1 edges.
    Raises KpiError for an unknown bucket, last_day before first_day, or more than MAX_BUCKETS buckets."""
    if bucket not in BUCKETS:
        raise KpiError(f"bucket must be one of {', '.join(BUCKETS)}")
    if last_day < first_day:
        raise KpiError("need from <= to")
    # Counted before any list is built: a request for 10 000 years must not allocate 3.6 million dates.
    first = _bucket_start(first_day, bucket)
    if bucket == "day":
        count = (last_day - first).days + 1
    elif bucket == "week":
        count = (last_day - first).days // 7 + 1
    else:
        count = (last_day.year - first.year) * 12 + last_day.month - first.month + 1
    if count > MAX_BUCKETS:
        raise KpiError(f"too many buckets: {count} {bucket}s (at most {MAX_BUCKETS}); choose a larger bucket "
                       "or a shorter period")
    edges = [first]
    while edges[-1] <= last_day:
        edges.append(_next(edges[-1], bucket))
    return edges


def _label(day: date, bucket: str) -> str:
    return f"{day:%Y-%m}" if bucket == "month" else day.isoformat()


def compute_trend(db: Database, *, first_day: date, last_day: date, bucket: str, time_zone: str,
                  unit: str | None = None, category: str | None = None,
                  clock: Callable[[], datetime] | None = None) -> KpiTrend:
    """The headline KPIs per bucket from ``first_day``'s bucket to ``last_day``'s, local dates in ``time_zone``."""
    zone = ZoneInfo(time_zone)
    edges = bucket_edges(first_day, last_day, bucket)
    # Local midnight of each edge, then UTC as the cases are stored (DST-safe: each edge is resolved on its own).
    instants = [datetime.combine(d, time(0), zone).astimezone(UTC) for d in edges]
    now = clock() if clock else datetime.now(UTC)
    points = []
    with db.read() as conn:  # one snapshot for every bucket
        if unit is not None and org_repo.unit(conn, unit) is None:
            raise KpiError(f"unknown unit {unit}")
        ids = _ids_per_bucket(touched_cases(conn, start=instants[0], end=instants[-1], unit=unit,
                                            category=category), instants)
        for day, start, end, bucket_ids in zip(edges, instants, instants[1:], ids, strict=False):
            figures = bucket_totals(conn, start=start, end=end, unit=unit, category=category,
                                    case_ids=bucket_ids if len(bucket_ids) <= MAX_IDS else None)
            points.append(TrendPoint(_label(day, bucket), start, end, _row(None, figures)))
    return KpiTrend(bucket, time_zone, instants[0], instants[-1], now, unit, category, points)


def _ids_per_bucket(rows: list[tuple[str, datetime, datetime | None, datetime | None]],
                    instants: list[datetime]) -> list[list[str]]:
    """Per bucket, the ids of the cases opened, filed or closed in it (a case can be in up to three buckets)."""
    out: list[list[str]] = [[] for _ in instants[1:]]
    for case_id, *times in rows:
        for k in {bisect_right(instants, t) - 1 for t in times if t is not None and instants[0] <= t < instants[-1]}:
            out[k].append(case_id)
    return out
