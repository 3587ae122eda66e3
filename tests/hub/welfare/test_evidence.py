"""The "safe today" rule (hub/welfare/evidence.py) across evidence kinds and device-time edge cases: the local
midnight boundary, a deadline later than the window, offline records synced hours later, and fast device clocks."""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from hub.welfare.evidence import Evidence, abnormal, counted_at, day_status, settling
from hub.welfare.schedule import window_on

SH = ZoneInfo("Asia/Shanghai")
DAY = date(2024, 6, 3)
GRACE = timedelta(minutes=10)


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), SH).astimezone(UTC)


WINDOW = window_on(DAY, time(7), time(10), SH)  # 07:00–10:00, deadline = window end
LATE_DEADLINE = window_on(DAY, time(7), time(21), SH)  # 07:00 window start, deadline 21:00


def ev(kind: str, when: datetime, verdict: str = "safe", rid: str = "r1") -> Evidence:
    return Evidence(when, rid, kind, "dev-1", verdict)


@pytest.mark.parametrize("kind", ["checkin", "observation", "patrol"])
def test_any_kind_inside_the_window_settles_the_day(kind):
    hit = settling(WINDOW, [ev(kind, at(DAY, 8))], SH)
    assert hit is not None and hit.kind == kind


def test_observations_count_from_local_midnight_check_ins_from_the_window_start():
    early = at(DAY, 6, 30)  # 白看窗帘 before the kiosk window opens
    assert settling(WINDOW, [ev("observation", early)], SH) is not None
    assert settling(WINDOW, [ev("patrol", early)], SH) is not None
    assert settling(WINDOW, [ev("checkin", early)], SH) is None


def test_local_midnight_is_the_boundary():
    last_evening = at(DAY, 0) - timedelta(minutes=1)  # 23:59 the day before: that day's, not this one's
    assert settling(WINDOW, [ev("observation", last_evening)], SH) is None
    assert settling(WINDOW, [ev("observation", at(DAY, 0))], SH) is not None  # 00:00 is this day's
    # In UTC the local day starts at 16:00 of the day before: the UTC date never names the day.
    assert at(DAY, 0) == datetime(2024, 6, 2, 16, 0, tzinfo=UTC)


def test_the_deadline_is_exclusive_and_can_be_later_than_the_window():
    assert settling(WINDOW, [ev("observation", at(DAY, 10))], SH) is None
    assert settling(WINDOW, [ev("observation", at(DAY, 9, 59))], SH) is not None
    assert settling(LATE_DEADLINE, [ev("checkin", at(DAY, 15))], SH) is not None  # a late tap, before the deadline
    assert settling(LATE_DEADLINE, [ev("observation", at(DAY, 21))], SH) is None


def test_the_earliest_settling_evidence_wins_and_abnormal_never_settles():
    items = [ev("checkin", at(DAY, 9), rid="tap"), ev("observation", at(DAY, 8), rid="look"),
             ev("observation", at(DAY, 7, 30), "abnormal", rid="bad")]
    assert settling(WINDOW, items, SH).record_id == "look"
    assert settling(WINDOW, [ev("observation", at(DAY, 8), "abnormal")], SH) is None
    assert [e.record_id for e in abnormal(items, DAY, SH)] == ["bad"]


def test_an_offline_observation_counts_by_when_it_was_made():
    made, synced = at(DAY, 8), at(DAY, 20)  # made offline at 08:00, the phone back online at 20:00
    assert counted_at(made, synced) == made
    assert settling(WINDOW, [ev("observation", counted_at(made, synced))], SH) is not None


def test_a_fast_device_clock_is_not_believed():
    received = at(DAY, 10, 30)  # after the window
    claimed = at(DAY, 9) + timedelta(days=1)  # a clock a day ahead (or simply wrong)
    assert counted_at(claimed, received) == received
    assert counted_at(received + timedelta(minutes=4), received) == received + timedelta(minutes=4)  # tolerance
    # a clock two hours ahead that claims 09:30 for a record received at 07:30 is taken at 07:30: still in window
    assert counted_at(at(DAY, 9, 30), at(DAY, 7, 30)) == at(DAY, 7, 30)


def test_a_slow_clock_near_midnight_keeps_its_day():
    # made at 23:58 by a clock two minutes slow, received at 00:01 the next day: the device time counts
    made, received = at(DAY, 23, 58), at(DAY + timedelta(days=1), 0, 1)
    assert counted_at(made, received) == made
    tomorrow = window_on(DAY + timedelta(days=1), time(7), time(10), SH)
    assert settling(tomorrow, [ev("observation", made)], SH) is None


def test_day_status_over_time():
    now_in, now_after = at(DAY, 9), at(DAY, 10, 11)
    assert day_status(WINDOW, [], SH, now_in, GRACE) == "pending"
    assert day_status(WINDOW, [], SH, at(DAY, 10, 5), GRACE) == "pending"  # grace for records in flight
    assert day_status(WINDOW, [], SH, now_after, GRACE) == "missed"
    assert day_status(WINDOW, [ev("patrol", at(DAY, 8))], SH, now_after, GRACE) == "safe"
    bad = [ev("checkin", at(DAY, 8)), ev("observation", at(DAY, 12), "abnormal")]
    assert day_status(WINDOW, bad, SH, now_after, GRACE) == "abnormal"
    assert day_status(WINDOW, bad, SH, now_after, GRACE, false_alarm=True) == "safe"
