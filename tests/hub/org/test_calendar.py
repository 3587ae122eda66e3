from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from hub.org.calendar import WorkCalendar

SH = ZoneInfo("Asia/Shanghai")
# 2024 National Day: 1–7 Oct off; Sun 29 Sep and Sat 12 Oct worked instead (调休).
NATIONAL_DAY = [date(2024, 10, d) for d in range(1, 8)]
MAKE_UP = [date(2024, 9, 29), date(2024, 10, 12)]


def at(month, day, hour, minute=0, year=2024):
    return datetime(year, month, day, hour, minute, tzinfo=SH)


@pytest.fixture
def cal():
    return WorkCalendar(holidays=NATIONAL_DAY, workdays=MAKE_UP, clock=lambda: at(6, 7, 16, 30))


def test_day_length_and_workdays(cal):
    assert cal.day_length == timedelta(hours=7)
    assert cal.is_workday(date(2024, 6, 7)) and not cal.is_workday(date(2024, 6, 8))
    assert not cal.is_workday(date(2024, 10, 2)) and cal.is_workday(date(2024, 10, 12))


def test_lunch_break_is_skipped(cal):
    assert cal.add_working_time(at(6, 3, 11), hours=2) == at(6, 3, 15)
    assert cal.add_working_time(at(6, 3, 12, 30), hours=1) == at(6, 3, 15)  # filed at lunch: clock starts 14:00


def test_weekend_is_skipped(cal):
    assert cal.add_working_time(at(6, 7, 16, 30), hours=2) == at(6, 10, 9, 30)
    assert cal.working_time_between(at(6, 7, 17), at(6, 10, 9)) == timedelta(hours=1)
    assert cal.working_time_between(at(6, 10, 9), at(6, 7, 17)) == -timedelta(hours=1)


def test_public_holiday_is_skipped(cal):
    assert cal.add_working_time(at(9, 30, 17), hours=1) == at(10, 8, 9)


def test_make_up_saturday_is_worked(cal):
    assert cal.add_working_time(at(10, 11, 17), hours=1) == at(10, 12, 9)
    assert cal.add_working_time(at(9, 27, 17, 30), hours=1) == at(9, 29, 9, 30)  # 调休 Sunday


def test_days_run_on_the_working_clock(cal):
    assert cal.add_working_time(at(6, 4, 10), days=1) == at(6, 5, 10)
    assert cal.add_working_time(at(6, 7, 18), days=1) == at(6, 10, 17, 30)
    assert cal.add_working_time(at(6, 3, 8, 30), days=5) == at(6, 7, 17, 30)  # exactly used up: same evening
    # UTC input, Shanghai output, same instant arithmetic.
    utc_start = at(6, 4, 10).astimezone(ZoneInfo("UTC"))
    assert cal.add_working_time(utc_start, hours=1) == at(6, 4, 11)


def test_suspension_pauses_the_clock(cal):
    start = at(6, 3, 9)
    assert cal.add_working_time(start, hours=4) == at(6, 3, 15)
    suspended = [(at(6, 3, 10), at(6, 3, 16))]
    assert cal.deadline_with_suspensions(start, hours=4, suspensions=suspended) == at(6, 4, 10)
    assert cal.working_time_between(start, at(6, 4, 10), suspended) == timedelta(hours=4)
    # Overlapping suspensions count once.
    twice = suspended + [(at(6, 3, 11), at(6, 3, 15))]
    assert cal.deadline_with_suspensions(start, hours=4, suspensions=twice) == at(6, 4, 10)
    # Still suspended: no deadline yet; a suspension after the deadline changes nothing.
    assert cal.deadline_with_suspensions(start, hours=4, suspensions=[(at(6, 3, 10), None)]) is None
    assert cal.deadline_with_suspensions(start, hours=4, suspensions=[(at(6, 5, 10), None)]) == at(6, 3, 15)


def test_injected_clock_drives_remaining_and_overdue(cal):
    deadline = at(6, 10, 9, 30)
    assert cal.remaining(deadline) == timedelta(hours=2)
    assert not cal.is_overdue(deadline)
    assert cal.is_overdue(at(6, 7, 16))


def test_bad_inputs_are_refused(cal):
    with pytest.raises(ValueError, match="aware"):
        cal.add_working_time(datetime(2024, 6, 3, 9), hours=1)
    with pytest.raises(ValueError, match="exactly one"):
        cal.add_working_time(at(6, 3, 9), hours=1, days=1)
    with pytest.raises(ValueError, match="positive"):
        cal.add_working_time(at(6, 3, 9), hours=0)
    with pytest.raises(ValueError, match="ends before"):
        cal.deadline_with_suspensions(at(6, 3, 9), hours=1, suspensions=[(at(6, 3, 11), at(6, 3, 10))])
    with pytest.raises(ValueError, match="no working time"):
        WorkCalendar(weekdays=()).add_working_time(at(6, 3, 9), hours=1)
