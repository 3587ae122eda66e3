"""The deployment's working calendar on real data: the official 2026 春节 (15–23 Feb off, Sat 14 and Sat 28 Feb
worked) from chinese-calendar, local overrides from ``calendar_days`` (SQLite and PostgreSQL) taking effect on
reload, office hours and zone from the settings, and the warning for a year the package does not cover."""
from __future__ import annotations

import logging
import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from pydantic import ValidationError

from hub.cases import timing
from hub.org.calendar import END_OF_DAY, WorkCalendar
from hub.org.taxonomy import Category
from hub.org.workdays import (
    covered_years,
    deployment_calendar,
    official_calendar,
    official_kind,
    official_name,
    remove_local_day,
    set_local_day,
    uncovered,
    year_days,
)
from hub.settings import HubSettings

SH = ZoneInfo("Asia/Shanghai")


def sh(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SH)


def one_working_day(code: str = "E0201") -> Category:
    return Category(code, "event", code[1:3], code[3:5], "非法小广告", "illegal small ads", "", "", 1, "working_days")


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


# -- the official days -------------------------------------------------------------------------------------------
def test_2026_spring_festival_and_its_make_up_saturdays_come_from_the_package():
    make_up = sorted(d for d in chinese_calendar.workdays if d.year == 2026 and d.month == 2)
    assert make_up == [date(2026, 2, 14), date(2026, 2, 28)]  # both Saturdays
    assert all(d.weekday() == 5 for d in make_up)
    cal = official_calendar()
    assert [d for d in (date(2026, 2, 13) + timedelta(n) for n in range(16)) if not cal.is_workday(d)] == [
        date(2026, 2, 15) + timedelta(n) for n in range(9)]  # 15–23 Feb off, the 14th worked, back on the 24th
    assert cal.is_workday(date(2026, 2, 14)) and cal.is_workday(date(2026, 2, 28))
    assert not cal.is_workday(date(2026, 3, 1))  # an ordinary Sunday
    assert official_kind(date(2026, 2, 16)) == "holiday" and official_kind(date(2026, 2, 14)) == "workday"
    assert official_kind(date(2026, 3, 2)) is None
    assert official_name(date(2026, 2, 16)) == ("春节", "Spring Festival")
    assert official_name(date(2026, 2, 28)) == ("春节", "Spring Festival")  # the make-up day of 春节


def test_one_working_day_filed_before_the_spring_festival():
    cal, category = official_calendar(), one_working_day()
    # Fri 13 Feb 16:00 + 1 working day (7 office hours): 1.5 h on Friday, the rest on the make-up Saturday.
    assert timing.deadline(category, cal, sh(2, 13, 16), []) == sh(2, 14, 16)
    # Filed on the make-up Saturday itself: 1.5 h that evening, then 15–23 Feb off → Tuesday 24 Feb 16:00.
    assert timing.deadline(category, cal, sh(2, 14, 16), []) == sh(2, 24, 16)
    # Two working days from Friday run through the whole holiday too: not a day of it counts.
    two_days = Category("E0201", "event", "02", "01", "x", "x", "", "", 2, "working_days")
    assert timing.deadline(two_days, cal, sh(2, 13, 16), []) == sh(2, 24, 16)
    assert cal.working_time_between(sh(2, 14, 17, 30), sh(2, 24, 8, 30)) == timedelta(0)
    # Without the official days (the hub before this change) the deadline fell on Monday 16 Feb, 初一 eve + 1.
    assert timing.deadline(category, WorkCalendar(), sh(2, 13, 16), []) == sh(2, 16, 16)


def test_a_make_up_saturday_counts_as_a_working_day():
    cal = official_calendar()
    assert cal.working_time_between(sh(2, 28, 0), sh(3, 1, 0)) == timedelta(hours=7)  # Sat 28 Feb: a full day
    assert cal.add_working_time(sh(2, 27, 17), hours=1) == sh(2, 28, 9)  # Friday evening → Saturday morning
    assert cal.working_time_between(sh(3, 7, 0), sh(3, 8, 0)) == timedelta(0)  # an ordinary Saturday is not


def test_elapsed_at_least_agrees_with_working_time_between():
    cal, rng = official_calendar(), random.Random(15)
    for _ in range(300):
        a = sh(1, 1, 0) + timedelta(minutes=rng.randrange(0, 60 * 24 * 120))
        b = a + timedelta(minutes=rng.randrange(-600, 60 * 24 * 20))
        amount = timedelta(minutes=rng.randrange(1, 60 * 30))
        assert cal.elapsed_at_least(a, b, amount) == (cal.working_time_between(a, b) >= amount), (a, b, amount)


def test_round_the_clock_office_hours():
    cal = WorkCalendar(periods=[(time(0), END_OF_DAY)], weekdays=range(7))
    assert cal.day_length == timedelta(hours=24)
    assert cal.working_time_between(sh(6, 1, 22), sh(6, 2, 2)) == timedelta(hours=4)  # across midnight, exactly
    assert cal.add_working_time(sh(6, 1, 22), hours=4) == sh(6, 2, 2)


# -- settings ----------------------------------------------------------------------------------------------------
def test_office_hours_zone_and_weekdays_from_the_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("GRIDLINE_OFFICE_HOURS", "09:00-12:00,13:30-18:00")
    monkeypatch.setenv("GRIDLINE_TIME_ZONE", "Asia/Urumqi")
    monkeypatch.setenv("GRIDLINE_WORK_WEEKDAYS", "123456")
    settings = HubSettings(data_dir=tmp_path)
    assert settings.office_periods == ((time(9), time(12)), (time(13, 30), time(18)))
    assert settings.work_weekday_numbers == frozenset(range(6))
    assert HubSettings(office_hours="00:00-24:00").office_periods == ((time(0), END_OF_DAY),)
    for bad in ("8-12", "08:30-12:00;14:00-17:30", "12:00-08:30", "08:00-12:00,11:00-13:00", "08:00-25:00"):
        with pytest.raises(ValidationError, match="office"):
            HubSettings(office_hours=bad)
    with pytest.raises(ValidationError, match="time zone"):
        HubSettings(time_zone="Asia/Beijing")  # not an IANA zone (Asia/Shanghai is)
    with pytest.raises(ValidationError):
        HubSettings(work_weekdays="0123")


def test_deployment_calendar_uses_the_settings(store, tmp_path):
    settings = HubSettings(data_dir=tmp_path, office_hours="09:00-12:00,13:30-18:00", work_weekdays="123456",
                           time_zone="Asia/Urumqi")
    cal = deployment_calendar(store, settings, Clock(sh(12, 4, 10)))
    assert (cal.tz.key, cal.day_length, cal.weekdays) == ("Asia/Urumqi", timedelta(hours=7.5), frozenset(range(6)))
    assert cal.is_workday(date(2026, 3, 7))  # Saturdays are worked here
    assert not cal.is_workday(date(2026, 2, 21))  # ...but not inside 春节


# -- local overrides (calendar_days) -------------------------------------------------------------------------------
def test_local_days_override_the_official_ones_after_a_reload(store, tmp_path):
    clock = Clock(sh(12, 4, 10))
    cal = deployment_calendar(store, HubSettings(data_dir=tmp_path), clock)
    category = one_working_day()
    filed = sh(12, 4, 16)  # Friday 4 Dec 2026
    assert timing.deadline(category, cal, filed, []) == sh(12, 7, 16)
    # A local day off on Monday 7 Dec (e.g. a typhoon closure, ordered by the city)
    entry = set_local_day(store, date(2026, 12, 7), "holiday", "台风停工", "admin-1", clock())
    assert (entry.kind, entry.source, entry.official_kind, entry.updated_by) == ("holiday", "local", None, "admin-1")
    assert timing.deadline(category, cal, filed, []) == sh(12, 7, 16)  # not yet: read on reload only
    cal.reload()
    assert timing.deadline(category, cal, filed, []) == sh(12, 8, 16)
    # A local working day on an official holiday, and a local day off on an official make-up day.
    set_local_day(store, date(2026, 2, 16), "workday", "值班", "admin-1", clock())
    set_local_day(store, date(2026, 2, 14), "holiday", "", "admin-2", clock())
    set_local_day(store, date(2026, 12, 7), "holiday", "台风停工（更正）", "admin-2", clock())  # replaced, not doubled
    cal.reload()
    assert cal.is_workday(date(2026, 2, 16)) and not cal.is_workday(date(2026, 2, 14))
    listed = {d.day: d for d in year_days(store, 2026)}
    assert (listed[date(2026, 12, 7)].note, listed[date(2026, 12, 7)].updated_by) == ("台风停工（更正）", "admin-2")
    assert (listed[date(2026, 2, 16)].kind, listed[date(2026, 2, 16)].official_kind) == ("workday", "holiday")
    assert listed[date(2026, 2, 17)].source == "official"
    assert remove_local_day(store, date(2026, 12, 7)) and not remove_local_day(store, date(2026, 12, 7))
    cal.reload()
    assert timing.deadline(category, cal, filed, []) == sh(12, 7, 16)
    assert cal.reloads == 4 and cal.loaded_at == clock()


# -- coverage ------------------------------------------------------------------------------------------------------
def test_next_year_not_covered_is_warned_once_until_an_admin_enters_it(store, tmp_path, caplog):
    assert max(covered_years()) == 2026 and uncovered({2026, 2027}) == [2027]  # chinese-calendar 1.11
    clock = Clock(sh(12, 4, 10))
    cal = deployment_calendar(store, HubSettings(data_dir=tmp_path), clock)
    with caplog.at_level(logging.WARNING, logger="hub.org.workdays"):
        found = cal.warn_if_uncovered()
        cal.refresh()  # the calendar job's pass: the same years missing, no second warning
    assert found.missing == [2027] and 2026 in found.covered_years and found.local_years == []
    warnings = [r.getMessage() for r in caplog.records if r.name == "hub.org.workdays"]
    assert len(warnings) == 1
    assert "2027" in warnings[0] and "pip install -U chinese-calendar" in warnings[0]
    assert "PUT /api/calendar/days/" in warnings[0] and "春节" in warnings[0]
    # An admin enters 2027's 春节: covered by hand.
    set_local_day(store, date(2027, 2, 8), "holiday", "2027年春节", "admin-1", clock())
    cal.refresh()
    assert cal.coverage().missing == [] and cal.coverage().local_years == [2027]
    # A year later the hub, never restarted, warns about 2028 (and 2027's local days still cover 2027).
    clock.now = sh(1, 2, 10, year=2027)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="hub.org.workdays"):
        cal.refresh()
    assert cal.coverage().missing == [2028]
    assert [r for r in caplog.records if "2028" in r.getMessage()]
