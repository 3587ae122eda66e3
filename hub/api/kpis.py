"""Evaluation KPIs (考核指标) as JSON, as a CSV that Excel opens with its Chinese headers intact, or as xlsx.
Definitions (and their denominators) are in :mod:`hub.cases.kpis`. Figures cover the operator's subtree
only: no ``unit`` = the whole scope, a unit above the scope is narrowed to it, another community's is 404."""
from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import AwareDatetime, BaseModel, Field

from hub.api.deps import StoreDep
from hub.api.office import Column, spreadsheet_cell, xlsx_bytes
from hub.api.schemas import KpiReportOut, KpiRowOut
from hub.auth.http import ScopeDep
from hub.auth.scope import OperatorScope
from hub.cases.kpi_trend import BUCKETS, compute_trend
from hub.cases.kpis import GROUPINGS, KpiError, KpiReport, KpiRow, compute_kpis

router = APIRouter(tags=["kpis"])

GroupBy = Literal[GROUPINGS]  # type: ignore[valid-type]  # the values come from the one vocabulary
# (header, value of a row): headers zh first, English alongside, units in the header so cells stay numbers.
CSV_COLUMNS = [
    ("编码 code", lambda r: r.key or ""),
    ("名称 name", lambda r: r.name),
    ("上报数 reported", lambda r: r.reported),
    ("立案数 filed", lambda r: r.filed),
    ("结案数 closed", lambda r: r.closed),
    ("立案且已结案数 cohort_closed", lambda r: r.cohort_closed),
    ("按期结案数 on_time_closed", lambda r: r.on_time_closed),
    ("返工结案数 reworked_closed", lambda r: r.reworked_closed),
    ("结案率 closure_rate (%)", lambda r: _pct(r.closure_rate)),
    ("按期结案率 on_time_closure_rate (%)", lambda r: _pct(r.on_time_closure_rate)),
    ("返工率 rework_rate (%)", lambda r: _pct(r.rework_rate)),
    ("平均接单时长 mean_accept (min)", lambda r: _minutes(r.mean_accept_s)),
    ("平均处置时长 mean_resolve (min)", lambda r: _minutes(r.mean_resolve_s)),
    ("当前超期数 overdue_now", lambda r: r.overdue_now),
]


def _pct(rate: float | None) -> str:
    return "" if rate is None else f"{rate * 100:.2f}"


def _minutes(seconds: float | None) -> str:
    return "" if seconds is None else f"{seconds / 60:.1f}"


def _row_out(row: KpiRow) -> KpiRowOut:
    return KpiRowOut(key=row.key, name=row.name, reported=row.reported, filed=row.filed, closed=row.closed,
                     cohort_closed=row.cohort_closed, on_time_closed=row.on_time_closed,
                     reworked_closed=row.reworked_closed, accepted=row.accepted, overdue_now=row.overdue_now,
                     closure_rate=row.closure_rate, on_time_closure_rate=row.on_time_closure_rate,
                     rework_rate=row.rework_rate, mean_accept_s=row.mean_accept_s, mean_resolve_s=row.mean_resolve_s)


def _csv(report: KpiReport) -> Response:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([spreadsheet_cell(header) for header, _ in CSV_COLUMNS])
    for row in report.rows:
        writer.writerow([spreadsheet_cell(value(row)) for _, value in CSV_COLUMNS])
    total = [value(report.total) for _, value in CSV_COLUMNS]
    total[0], total[1] = "合计 total", ""
    writer.writerow([spreadsheet_cell(cell) for cell in total])
    name = f"kpis_{report.group_by}_{report.start:%Y%m%d}-{report.end:%Y%m%d}.csv"
    # UTF-8 with a BOM: without it Excel guesses the legacy code page and garbles the Chinese.
    return Response(("\ufeff" + out.getvalue()).encode("utf-8"), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx(report: KpiReport, zone: ZoneInfo) -> Response:
    columns = [Column(header, text=i == 0) for i, (header, _) in enumerate(CSV_COLUMNS)]
    rows = [[_number(value(row)) for _, value in CSV_COLUMNS] for row in report.rows]
    total = [_number(value(report.total)) for _, value in CSV_COLUMNS]
    total[0], total[1] = "合计 total", ""
    name = f"kpis_{report.group_by}_{report.start:%Y%m%d}-{report.end:%Y%m%d}.xlsx"
    return Response(xlsx_bytes("考核指标 KPIs", columns, [*rows, total], zone), media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _number(value: object) -> object:
    """The CSV's figures as numbers in a workbook (rates and minutes are text there, "" when undefined)."""
    if isinstance(value, str) and value:
        try:
            return float(value)
        except ValueError:
            return value
    return None if value == "" else value


def _report(store, scope: OperatorScope, start, end, group_by, unit, category) -> KpiReport:
    unit = scope.narrow(unit)  # the top unit's operators keep "no unit" = everything, unplaced cases included
    try:
        start, end = start.astimezone(UTC), end.astimezone(UTC)  # as stored; may overflow
    except OverflowError:  # e.g. 0001-01-01T00:00+00:07 is before year 1 in UTC
        raise HTTPException(422, "时间超出范围 / from/to out of range") from None
    try:
        return compute_kpis(store, start=start, end=end, group_by=group_by, unit=unit, category=category,
                            clock=store.clock)
    except KpiError as exc:
        raise HTTPException(422, str(exc)) from None


Start = Annotated[AwareDatetime, Query(alias="from", description="period start, inclusive (with a UTC offset)")]
End = Annotated[AwareDatetime, Query(alias="to", description="period end, exclusive")]
Unit = Annotated[str | None, Query(description="only cases in this unit's subtree (any level)")]
Category = Annotated[str | None, Query(description="only this category code")]


@router.get("/kpis", response_model=KpiReportOut,
            responses={200: {"content": {"text/csv": {}, XLSX: {}},
                             "description": "JSON, or CSV with ?format=csv, or xlsx with ?format=xlsx"}})
def kpis(request: Request, store: StoreDep, scope: ScopeDep, start: Start, end: End, group_by: GroupBy = "grid",
         unit: Unit = None, category: Category = None, format: Literal["json", "csv", "xlsx"] = "json"):
    """KPIs per grid / community / street / district / city or per category for [from, to).

    结案率 and 按期结案率 are shares of the cases *filed* in the period; 返工率 is the share of those closed
    by the end that were reworked at least once. Full definitions: ``hub.cases.kpis``."""
    report = _report(store, scope, start, end, group_by, unit, category)
    if format == "csv":
        return _csv(report)
    if format == "xlsx":
        return _xlsx(report, ZoneInfo(request.app.state.settings.time_zone))
    return KpiReportOut(group_by=report.group_by, start=report.start, end=report.end, now=report.now,
                        unit=report.unit, category=report.category, rows=[_row_out(r) for r in report.rows],
                        total=_row_out(report.total))


@router.get("/kpis.csv", response_class=Response, responses={200: {"content": {"text/csv": {}}}})
def kpis_csv(store: StoreDep, scope: ScopeDep, start: Start, end: End, group_by: GroupBy = "grid", unit: Unit = None,
             category: Category = None) -> Response:
    """The same KPIs as a UTF-8 (BOM) CSV download for Excel."""
    return _csv(_report(store, scope, start, end, group_by, unit, category))


class TrendPointOut(BaseModel):
    label: str = Field(description="the bucket's first local day (YYYY-MM-DD) or month (YYYY-MM)")
    start: datetime
    end: datetime = Field(description="exclusive")
    reported: int
    filed: int
    closed: int
    cohort_closed: int
    on_time_closed: int
    reworked_closed: int
    closure_rate: float | None
    on_time_closure_rate: float | None
    rework_rate: float | None


class KpiTrendOut(BaseModel):
    bucket: str
    time_zone: str
    start: datetime
    end: datetime
    now: datetime
    unit: str | None
    category: str | None
    points: list[TrendPointOut]


Bucket = Literal[BUCKETS]  # type: ignore[valid-type]


@router.get("/kpis/trend", response_model=KpiTrendOut)
def kpi_trend(request: Request, store: StoreDep, scope: ScopeDep,
              first_day: Annotated[date, Query(alias="from", description="first local day (YYYY-MM-DD)")],
              last_day: Annotated[date, Query(alias="to", description="last local day, inclusive")],
              bucket: Bucket = "day", unit: Unit = None, category: Category = None) -> KpiTrendOut:
    """The headline KPIs per calendar day / week (Monday first) / month in the deployment's time zone, from the
    bucket holding ``from`` to the one holding ``to`` (at most 366 buckets, else 422). Each point is the KPI
    table's total over that bucket (same definitions, ``hub.cases.kpis``); counts add up over buckets, rates
    do not. No overdue series: 当前超期 is a snapshot of now (``GET /api/kpis``)."""
    unit = scope.narrow(unit)
    try:
        trend = compute_trend(store, first_day=first_day, last_day=last_day, bucket=bucket,
                              time_zone=request.app.state.settings.time_zone, unit=unit, category=category,
                              clock=store.clock)
    except (ValueError, OverflowError) as exc:  # KpiError is a ValueError; the others: a bucket past year 9999
        raise HTTPException(422, str(exc)) from None
    points = [TrendPointOut(label=p.label, start=p.start, end=p.end, reported=p.kpis.reported, filed=p.kpis.filed,
                            closed=p.kpis.closed, cohort_closed=p.kpis.cohort_closed,
                            on_time_closed=p.kpis.on_time_closed, reworked_closed=p.kpis.reworked_closed,
                            closure_rate=p.kpis.closure_rate, on_time_closure_rate=p.kpis.on_time_closure_rate,
                            rework_rate=p.kpis.rework_rate) for p in trend.points]
    return KpiTrendOut(bucket=trend.bucket, time_zone=trend.time_zone, start=trend.start, end=trend.end, now=trend.now,
                       unit=trend.unit, category=trend.category, points=points)
