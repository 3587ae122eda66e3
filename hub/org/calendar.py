"""Working-time calendar for case deadlines (办结时限): work days, office hours, holidays, 调休 and
suspensions (挂起/延期) that stop the clock.

Time limits count only office hours: ``N working days`` = N × the length of a working day on the working
clock (filed Tue 10:00 + 1 day → Wed 10:00; filed Fri 18:00 + 1 day → Mon 17:30), which keeps days and
hours one consistent measure. All datetimes are aware; results are in the calendar's zone.

This class is the arithmetic; the deployment's calendar (official mainland holidays and 调休 days, the admins'
local overrides, office hours and zone from the settings) is built in :func:`hub.org.workdays.deployment_calendar`.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hub.store.clock import utc_now

DEFAULT_PERIODS = ((time(8, 30), time(12, 0)), (time(14, 0), time(17, 30)))
END_OF_DAY = time.max  # as a period's end: 24:00, the next midnight (round-the-clock offices: 00:00-24:00)
# Safety net: a calendar with no work day at all must fail, not loop forever.
MAX_SCAN_DAYS = 3660

Interval = tuple[datetime, datetime]
DaySets = tuple[frozenset[date], frozenset[date]]  # (holidays, 调休 make-up workdays)
Suspension = tuple[datetime, datetime | None]  # end None: still suspended


def _aware(value: datetime, what: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got naive {value.isoformat()}")
    return value


class WorkCalendar:
    def __init__(self, *, tz: str = "Asia/Shanghai", periods: Iterable[tuple[time, time]] = DEFAULT_PERIODS,
                 weekdays: Iterable[int] = range(5), holidays: Iterable[date] = (),
                 workdays: Iterable[date] = (), clock: Callable[[], datetime] = utc_now):
        self.tz = ZoneInfo(tz)
        self.periods = tuple(sorted(periods))
        for (s1, e1), (s2, _e2) in zip(self.periods, self.periods[1:] + ((time.max, time.max),), strict=True):
            if not s1 < e1 <= s2:
                raise ValueError(f"office periods must be ordered and non-overlapping: {self.periods}")
        self.weekdays = frozenset(weekdays)
        # (holidays: off even on a weekday, workdays: 调休 weekend days that are worked), swapped as one value by
        # set_days so a computation that took it sees one consistent set (hub.org.workdays reloads overrides).
        self._days: DaySets = (frozenset(holidays), frozenset(workdays))
        self.clock = clock

    @property
    def holidays(self) -> frozenset[date]:
        return self._days[0]

    @property
    def workdays(self) -> frozenset[date]:
        return self._days[1]

    def set_days(self, holidays: Iterable[date], workdays: Iterable[date]) -> None:
        """Replace the holidays and make-up days at once (threads computing meanwhile keep the old sets)."""
        self._days = (frozenset(holidays), frozenset(workdays))

    @property
    def day_length(self) -> timedelta:
        return sum((_on(date(2000, 1, 1), e, None, end=True) - _on(date(2000, 1, 1), s, None) for s, e in self.periods),
                   timedelta())

    def is_workday(self, day: date) -> bool:
        return self._is_workday(day, self._days)

    def _is_workday(self, day: date, days: DaySets) -> bool:
        holidays, workdays = days
        return day in workdays or (day.weekday() in self.weekdays and day not in holidays)

    def office_hours(self, day: date) -> list[Interval]:
        return self._office_hours(day, self._days)

    def _office_hours(self, day: date, days: DaySets) -> list[Interval]:
        if not self._is_workday(day, days):
            return []
        return [(_on(day, s, self.tz), _on(day, e, self.tz, end=True)) for s, e in self.periods]

    def _intervals_from(self, start: datetime) -> Iterator[Interval]:
        """Office intervals from ``start`` on, the first one clipped to start."""
        start = _aware(start, "start").astimezone(self.tz)
        day, days = start.date(), self._days
        for _ in range(MAX_SCAN_DAYS):
            for s, e in self._office_hours(day, days):
                if e > start:
                    yield max(s, start), e
            day += timedelta(days=1)
        raise ValueError(f"no working time within {MAX_SCAN_DAYS} days of {start.isoformat()}")

    def _limit(self, hours: float | None, days: float | None) -> timedelta:
        if (hours is None) == (days is None):
            raise ValueError("give exactly one of hours= or days=")
        limit = timedelta(hours=hours) if hours is not None else self.day_length * (days or 0)
        if limit <= timedelta(0):
            raise ValueError("a time limit must be positive")
        return limit

    def add_working_time(self, start: datetime, *, hours: float | None = None, days: float | None = None) -> datetime:
        deadline = self.deadline_with_suspensions(start, hours=hours, days=days)
        assert deadline is not None  # no suspensions, so the clock never stops
        return deadline

    def deadline_with_suspensions(self, start: datetime, *, hours: float | None = None, days: float | None = None,
                                  suspensions: Iterable[Suspension] = ()) -> datetime | None:
        """The deadline with the clock paused during ``suspensions``; None while an open suspension
        (end None) stops the clock before the limit is used up."""
        left = self._limit(hours, days)
        pauses = _merge(suspensions)
        for s, e in self._intervals_from(start):
            for piece_start, piece_end, paused_open in _without(s, e, pauses):
                if paused_open:
                    return None
                if piece_end - piece_start >= left:
                    return piece_start + left
                left -= piece_end - piece_start
        raise AssertionError("unreachable: _intervals_from raises when it runs out")

    def working_time_between(self, a: datetime, b: datetime, suspensions: Iterable[Suspension] = ()) -> timedelta:
        """Office time from a to b less suspended time; negative when b is before a."""
        a, b = _aware(a, "a"), _aware(b, "b")
        if b < a:
            return -self.working_time_between(b, a, suspensions)
        pauses = _merge(suspensions)
        total = timedelta()
        day, last, days = a.astimezone(self.tz).date(), b.astimezone(self.tz).date(), self._days
        while day <= last:
            for s, e in self._office_hours(day, days):
                s, e = max(s, a), min(e, b)
                if s < e:
                    total += sum((pe - ps for ps, pe, _ in _without(s, e, pauses)), timedelta())
            day += timedelta(days=1)
        return total

    def elapsed_at_least(self, a: datetime, b: datetime, amount: timedelta) -> bool:
        """Whether ``working_time_between(a, b) >= amount``, stopping as soon as it is: a case waiting for
        months costs no more than one waiting for a day (the escalation sweep asks this of every waiting case)."""
        a, b = _aware(a, "a"), _aware(b, "b")
        if amount <= timedelta(0):
            return True
        if b <= a:
            return False
        for s, e in self._intervals_from(a):
            if s >= b:
                return False
            amount -= min(e, b) - s
            if amount <= timedelta(0):
                return True
        raise AssertionError("unreachable: _intervals_from raises when it runs out")

    def remaining(self, deadline: datetime, suspensions: Iterable[Suspension] = ()) -> timedelta:
        """Working time left until ``deadline`` by the injected clock; negative once overdue."""
        return self.working_time_between(self.clock(), deadline, suspensions)

    def is_overdue(self, deadline: datetime | None) -> bool:
        return deadline is not None and self.clock() > deadline


def _on(day: date, at: time, tz: ZoneInfo | None, *, end: bool = False) -> datetime:
    """The moment ``at`` on ``day``; a period ending at :data:`END_OF_DAY` ends at the next midnight (24:00)."""
    if end and at == END_OF_DAY:
        return datetime.combine(day + timedelta(days=1), time(0), tz)
    return datetime.combine(day, at, tz)


def _merge(suspensions: Iterable[Suspension]) -> list[tuple[datetime, datetime | None]]:
    spans = sorted((_aware(s, "suspension start"), e if e is None else _aware(e, "suspension end"))
                   for s, e in suspensions)
    merged: list[tuple[datetime, datetime | None]] = []
    for s, e in spans:
        if e is not None and e <= s:
            raise ValueError(f"suspension ends before it starts: {s.isoformat()} → {e.isoformat()}")
        if merged and (merged[-1][1] is None or s <= merged[-1][1]):
            prev_s, prev_e = merged[-1]
            merged[-1] = (prev_s, None if prev_e is None or e is None else max(prev_e, e))
        else:
            merged.append((s, e))
    return merged


def _without(s: datetime, e: datetime, pauses: list[tuple[datetime, datetime | None]]):
    """Pieces of [s, e) outside the pauses, as (start, end, False); an open pause inside yields
    (its start, its start, True) and ends the sequence."""
    cursor = s
    for ps, pe in pauses:
        if (pe is not None and pe <= cursor) or ps >= e:
            continue
        if ps > cursor:
            yield cursor, ps, False
        if pe is None:
            yield max(ps, cursor), max(ps, cursor), True
            return
        cursor = max(cursor, pe)
        if cursor >= e:
            return
    if cursor < e:
        yield cursor, e, False
