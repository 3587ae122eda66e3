"""Mainland China's official working days: public holidays and 调休 make-up working days as published by the State
Council each year, from the ``chinese-calendar`` package, for the :class:`hub.org.calendar.WorkCalendar` that every
case deadline, accept window and escalation repeat is counted on.

The package covers the years the State Council has published (usually announced in November for the next year);
a year it does not cover has no holidays, so a deadline would run through 春节: the hub warns at start (and in
``GET /api/health``) when this year or next is missing, and an admin enters the days by hand or the package is
upgraded.

The deployment's calendar (:func:`deployment_calendar`, built once per hub worker in hub/app.py) is these official
days + the admins' local overrides (``calendar_days``: a year the package does not cover yet, a local day off or
worked; a local day wins) + office hours, worked weekdays and time zone from the settings (``GRIDLINE_OFFICE_HOURS``,
``GRIDLINE_WORK_WEEKDAYS``, ``GRIDLINE_TIME_ZONE``). Every ``CaseService`` of the hub counts on it: deadlines, the
three colours, the escalation sweep's accept window and overdue repeat; the welfare watch takes its zone for local
days (check-in days are the resident's weekdays, holidays included: a resident living alone is checked on 春节 too).
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import cache
from typing import Protocol

import chinese_calendar
import sqlalchemy as sa
from chinese_calendar.constants import Holiday

from hub.org import repo as org_repo
from hub.org.calendar import DEFAULT_PERIODS, WorkCalendar
from hub.org.repo import CalendarOverride
from hub.store.clock import utc_now
from hub.store.db import Database
from hub.store.vocabulary import CALENDAR_DAY_KINDS

log = logging.getLogger(__name__)


@cache
def official_holidays() -> frozenset[date]:
    """Days off by law (weekend days inside a holiday span included: they change nothing)."""
    return frozenset(chinese_calendar.holidays)


@cache
def official_workdays() -> frozenset[date]:
    """Weekend days that are worked (调休 make-up days)."""
    return frozenset(chinese_calendar.workdays)


def covered_years() -> frozenset[int]:
    """Years whose holidays the package knows (a year with at least one listed holiday)."""
    return frozenset(day.year for day in official_holidays())


def uncovered(years: set[int] | frozenset[int]) -> list[int]:
    """Which of ``years`` the package does not cover, ascending."""
    return sorted(set(years) - covered_years())


# -- names of the official days -----------------------------------------------------------------------------------
_NAMES_ZH = {h.value: h.chinese for h in Holiday}  # "Spring Festival" → "春节"


def official_kind(day: date) -> str | None:
    """``holiday`` / ``workday`` (调休) as the package lists the day, None for an ordinary day."""
    return "holiday" if day in official_holidays() else "workday" if day in official_workdays() else None


def official_name(day: date) -> tuple[str | None, str | None]:
    """(中文, English) name of the holiday an official day off or make-up day belongs to."""
    english = chinese_calendar.holidays.get(day) or chinese_calendar.workdays.get(day)
    return (_NAMES_ZH.get(english), english) if english else (None, None)


def official_calendar(clock: Callable[[], datetime] = utc_now) -> WorkCalendar:
    """The official mainland days with the default office hours: the calendar of a ``CaseService`` built without
    one (the CLI, tests). The hub itself uses :func:`deployment_calendar`."""
    return WorkCalendar(holidays=official_holidays(), workdays=official_workdays(), clock=clock)


# -- coverage: is next year's 春节 known? -------------------------------------------------------------------------
@dataclass(frozen=True)
class Coverage:
    covered_years: list[int]  # the package's years and the years an admin entered holidays for
    local_years: list[int]  # years with at least one local holiday (an admin entered the year's days)
    missing: list[int]  # this year and next, when neither covers them

    @property
    def warning(self) -> str | None:
        if not self.missing:
            return None
        years = "、".join(str(y) for y in self.missing)
        years_en = ", ".join(str(y) for y in self.missing)
        return (f"工作日历缺少 {years} 年的法定节假日和调休安排：国务院公布后请升级 chinese-calendar"
                f"（pip install -U chinese-calendar）并重启，或由管理员录入（PUT /api/calendar/days/{{日期}}）；"
                f"在此之前该年只按周末休息计算，春节等假期会计入办结时限和升级时间。 / The working calendar has no "
                f"public holidays or 调休 make-up days for {years_en}: once the State Council has published them, "
                f"upgrade chinese-calendar (pip install -U chinese-calendar) and restart, or have an admin enter the "
                f"days (PUT /api/calendar/days/{{date}}); until then only weekends are off in {years_en}, so time "
                f"limits and escalations run through 春节 and the other holidays.")


def coverage(today: date, overrides: Iterable[CalendarOverride]) -> Coverage:
    """Which years the calendar knows holidays for, and which of this year and next it does not. A year counts as
    entered by hand once it has one local holiday (an admin typing in a year's days starts with its holidays)."""
    local = sorted({o.day.year for o in overrides if o.kind == "holiday"})
    covered = sorted(covered_years() | set(local))
    return Coverage(covered, local, sorted({today.year, today.year + 1} - set(covered)))


# -- the deployment's calendar ------------------------------------------------------------------------------------
class CalendarSettings(Protocol):
    """What :func:`deployment_calendar` reads of :class:`hub.settings.HubSettings`."""

    @property
    def time_zone(self) -> str: ...

    @property
    def office_periods(self) -> tuple[tuple[time, time], ...]: ...

    @property
    def work_weekday_numbers(self) -> frozenset[int]: ...


def merged_days(overrides: Iterable[CalendarOverride]) -> tuple[frozenset[date], frozenset[date]]:
    """(days off, weekend days worked): the official ones with the local overrides on top (a local day wins)."""
    listed = list(overrides)
    local_off = {o.day for o in listed if o.kind == "holiday"}
    local_on = {o.day for o in listed if o.kind == "workday"}
    return (official_holidays() - local_on) | local_off, (official_workdays() - local_off) | local_on


class DeploymentCalendar(WorkCalendar):
    """The hub's working calendar: official mainland days + the ``calendar_days`` overrides + office hours, weekdays
    and zone from the settings. One instance per hub worker, shared by every ``CaseService`` it builds.

    Overrides take effect without a restart: :meth:`reload` re-reads the table (a few dozen rows) and swaps the
    day sets in one assignment. The admin API reloads right after its write (this worker at once) and rings the
    ``calendar`` job, which reloads on the other hub workers through the PostgreSQL wake-up relay; the job also
    reloads every ``calendar_refresh_s`` (60 s) as a safety net. Nothing here reads the database on the hot path:
    a deadline computed inside a write transaction never opens a second connection."""

    def __init__(self, db: Database, *, tz: str = "Asia/Shanghai",
                 periods: Iterable[tuple[time, time]] = DEFAULT_PERIODS, weekdays: Iterable[int] = range(5),
                 clock: Callable[[], datetime] = utc_now):
        super().__init__(tz=tz, periods=periods, weekdays=weekdays, holidays=official_holidays(),
                         workdays=official_workdays(), clock=clock)
        self.db = db
        self.overrides: dict[date, CalendarOverride] = {}
        self.loaded_at: datetime | None = None
        self.reloads = 0
        self._reload_lock = threading.Lock()
        self._warned: tuple[int, ...] = ()

    def reload(self) -> None:
        """Re-read the overrides (serialised, so an older read never replaces a newer one)."""
        with self._reload_lock:
            with self.db.read() as conn:
                overrides = {o.day: o for o in org_repo.calendar_overrides(conn)}
            self.set_days(*merged_days(overrides.values()))
            self.overrides = overrides
            self.loaded_at = self.clock()
            self.reloads += 1

    def refresh(self) -> None:
        """The calendar job's pass: reload, and warn (once per change) when this year or next is not covered -
        so the warning for the coming year also shows on a hub that has been running since before New Year."""
        self.reload()
        self.warn_if_uncovered()

    def today(self) -> date:
        return self.clock().astimezone(self.tz).date()

    def coverage(self) -> Coverage:
        return coverage(self.today(), self.overrides.values())

    def warn_if_uncovered(self) -> Coverage:
        found = self.coverage()
        if found.missing and tuple(found.missing) != self._warned:
            log.warning("%s", found.warning)
        self._warned = tuple(found.missing)
        return found


def deployment_calendar(db: Database, settings: CalendarSettings,
                        clock: Callable[[], datetime] = utc_now) -> DeploymentCalendar:
    """The deployment's calendar, built in this one place (hub/app.py: every ``CaseService`` of the hub, the
    escalation sweep, the welfare watch's zone, the calendar API), overrides loaded."""
    calendar = DeploymentCalendar(db, tz=settings.time_zone, periods=settings.office_periods,
                                  weekdays=settings.work_weekday_numbers, clock=clock)
    calendar.reload()
    return calendar


# -- one year, for the admin API; local days ------------------------------------------------------------------------
@dataclass(frozen=True)
class CalendarDay:
    day: date
    kind: str  # what counts: holiday (off) | workday (worked)
    source: str  # official (the package) | local (an admin's override, which wins)
    official_kind: str | None  # what the package says (None: an ordinary day)
    name_zh: str | None  # the official holiday the day belongs to (春节...)
    name_en: str | None
    note: str = ""
    updated_by: str | None = None
    updated_at: datetime | None = None


def year_days(db: Database, year: int) -> list[CalendarDay]:
    """The year's official holidays and make-up days and its local overrides, by day, as stored now."""
    with db.read() as conn:
        local = {o.day: o for o in org_repo.calendar_overrides(conn, year)}
    days = {d for d in official_holidays() | official_workdays() if d.year == year} | set(local)
    return [day_entry(d, local.get(d)) for d in sorted(days)]


def day_entry(day: date, override: CalendarOverride | None) -> CalendarDay:
    official = official_kind(day)
    name_zh, name_en = official_name(day)
    if override is None:
        assert official is not None
        return CalendarDay(day, official, "official", official, name_zh, name_en)
    return CalendarDay(day, override.kind, "local", official, name_zh, name_en, override.note, override.updated_by,
                       override.updated_at)


def set_local_day(db: Database, day: date, kind: str, note: str, by: str, at: datetime) -> CalendarDay:
    """Enter or replace the day's local override (admins; two at once on one day: the later one stays)."""
    if kind not in CALENDAR_DAY_KINDS:
        raise ValueError(f"kind must be one of {CALENDAR_DAY_KINDS}, got {kind!r}")
    override = CalendarOverride(day, kind, note, by, at)
    for attempt in range(2):
        try:
            with db.write() as conn:
                org_repo.save_calendar_override(conn, override)
            break
        except sa.exc.IntegrityError:  # inserted by someone else between our look and our insert: update it
            if attempt:
                raise
    return day_entry(day, override)


def remove_local_day(db: Database, day: date) -> bool:
    """Drop the day's local override (the official calendar applies again); False when there was none."""
    with db.write() as conn:
        return org_repo.delete_calendar_override(conn, day)
