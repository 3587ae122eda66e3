"""The working calendar (工作日历), for admins: a year's public holidays and 调休 make-up days with the office hours,
and the local days that override the official calendar.

Every case time limit, accept window and repeat escalation counts working time on this calendar
(hub/org/workdays.py): the official mainland days from the ``chinese-calendar`` package, plus local overrides an
admin enters here - for a year the package does not cover yet (the State Council publishes next year's holidays
around November), or a local day off or worked. A local day wins over the official one.

- ``GET /api/calendar?year=2027``: the year's days off and weekend days worked, each marked ``official`` or
  ``local`` (with who entered it and when), and the office hours, weekdays and zone from the settings.
- ``PUT /api/calendar/days/{date}`` ``{"kind": "workday"|"holiday", "note": ...}`` enters or replaces a local day;
  ``DELETE /api/calendar/days/{date}`` removes it (the official calendar applies again).

Admins only; changing the deployment-wide calendar also needs an admin scoped to the top of the hierarchy (403
otherwise). A change counts at once on this hub worker, on the others within moments (the ``calendar`` job, rung
through the PostgreSQL relay; at the latest after ``calendar_refresh_s``); deadlines stored on cases already filed
are not recomputed - the next deadline computed (filing, suspend/resume) uses the new day. Each change is in the
access log (a state-changing call, with the day and kind) and records its author on the day.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from hub.api.deps import StoreDep
from hub.auth.access_log import note_access
from hub.auth.http import AdminDep, ScopeDep
from hub.jobs.wakeup import ring_jobs
from hub.org.calendar import END_OF_DAY
from hub.org.workdays import (
    CalendarDay,
    Coverage,
    DeploymentCalendar,
    covered_years,
    remove_local_day,
    set_local_day,
    year_days,
)

router = APIRouter(prefix="/calendar", tags=["calendar"])

FIRST_YEAR, LAST_YEAR = 2000, 2099
DayKind = Literal["workday", "holiday"]


class OfficePeriodOut(BaseModel):
    start: str = Field(examples=["08:30"])
    end: str = Field(examples=["12:00"])


class CalendarDayOut(BaseModel):
    day: date
    kind: DayKind = Field(description="what counts: holiday = off (no working time), workday = worked")
    source: Literal["official", "local"] = Field(description="official: the State Council's calendar "
                                                 "(chinese-calendar); local: an admin's override, which wins")
    official_kind: DayKind | None = Field(description="what the official calendar says (null: an ordinary day)")
    name_zh: str | None = Field(description="the public holiday the official day belongs to (春节...)")
    name_en: str | None
    note: str = ""
    updated_by: str | None = Field(default=None, description="the admin who entered the local day")
    updated_at: datetime | None = None

    @classmethod
    def of(cls, entry: CalendarDay) -> CalendarDayOut:
        return cls.model_validate(entry, from_attributes=True)


class CalendarYearOut(BaseModel):
    year: int
    time_zone: str
    office_hours: list[OfficePeriodOut] = Field(description="a working day's office periods (办公时间)")
    weekdays: list[int] = Field(description="ISO weekdays worked (1 = Monday), before holidays and make-up days")
    working_day_hours: float = Field(description="one working day of a time limit, in office hours")
    official: bool = Field(description="the official calendar (chinese-calendar) lists this year's holidays")
    covered: bool = Field(description="official, or an admin entered at least one local holiday for the year")
    warning: str | None = Field(description="what to do when the year is not covered")
    holidays: list[CalendarDayOut] = Field(description="days off: public holidays (weekend days inside a holiday "
                                           "span included) and local days off")
    workdays: list[CalendarDayOut] = Field(description="days worked against the rule: 调休 make-up days and local "
                                           "working days")


class CalendarDayIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: DayKind = Field(description="holiday: off although the official calendar says worked; workday: worked "
                                      "although it says off")
    note: str = Field(default="", max_length=200, description="why (e.g. 2027年春节，国办发明电〔2026〕X号)")


def _calendar(request: Request) -> DeploymentCalendar:
    return request.app.state.calendar


def _refuse(status: int, code: str, zh: str, en: str) -> HTTPException:
    return HTTPException(status, {"code": code, "zh": zh, "en": en})


def _check_day(day: date, scope: ScopeDep) -> None:
    if not scope.top:
        raise _refuse(403, "not_top", "工作日历对全部辖区生效，只有最高层级的管理员可以修改",
                      "the working calendar applies to the whole deployment: only an admin scoped to the top of the "
                      "hierarchy may change it")
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise _refuse(422, "bad_year", f"年份须在 {FIRST_YEAR}–{LAST_YEAR} 之间",
                      f"the year must be within {FIRST_YEAR}-{LAST_YEAR}")


def _changed(request: Request, calendar: DeploymentCalendar) -> None:
    """The next deadline computed uses the change: here at once, on the other hub workers when their job wakes."""
    calendar.reload()
    ring_jobs(request.app.state, "calendar")


@router.get("", response_model=CalendarYearOut)
def calendar_year(request: Request, store: StoreDep, admin: AdminDep,
                  year: Annotated[int | None, Query(ge=FIRST_YEAR, le=LAST_YEAR,
                                                    description="default: this year")] = None) -> CalendarYearOut:
    """The year's days off and weekend days worked, official and local, and the office hours."""
    calendar = _calendar(request)
    year = year or calendar.today().year
    days = [CalendarDayOut.of(d) for d in year_days(store, year)]
    local_holiday = any(d.source == "local" and d.kind == "holiday" for d in days)
    official = year in covered_years()
    covered = official or local_holiday
    return CalendarYearOut(
        year=year, time_zone=calendar.tz.key,
        office_hours=[OfficePeriodOut(start=f"{s:%H:%M}", end="24:00" if e == END_OF_DAY else f"{e:%H:%M}")
                      for s, e in calendar.periods],
        weekdays=sorted(d + 1 for d in calendar.weekdays), working_day_hours=calendar.day_length.total_seconds() / 3600,
        official=official, covered=covered, warning=None if covered else Coverage([], [], [year]).warning,
        holidays=[d for d in days if d.kind == "holiday"], workdays=[d for d in days if d.kind == "workday"])


@router.put("/days/{day}", response_model=CalendarDayOut)
def put_day(day: date, body: CalendarDayIn, request: Request, store: StoreDep, admin: AdminDep,
            scope: ScopeDep) -> CalendarDayOut:
    """Enter or replace a local day: ``holiday`` (off) or ``workday`` (worked), whatever the official calendar says."""
    _check_day(day, scope)
    entry = set_local_day(store, day, body.kind, body.note, admin.username, store.clock())
    note_access(request, day=day.isoformat(), kind=body.kind)
    _changed(request, _calendar(request))
    return CalendarDayOut.of(entry)


@router.delete("/days/{day}", status_code=204, response_class=Response)
def delete_day(day: date, request: Request, store: StoreDep, admin: AdminDep, scope: ScopeDep) -> Response:
    """Remove a local day: the official calendar applies to it again. 404 when there is none."""
    _check_day(day, scope)
    if not remove_local_day(store, day):
        raise _refuse(404, "no_local_day", f"{day} 没有本地设置", f"no local calendar day on {day}")
    note_access(request, day=day.isoformat())
    _changed(request, _calendar(request))
    return Response(status_code=204)
