"""When a resident is expected to check in (pure time arithmetic, no I/O).

Windows are wall-clock times in the deployment's zone (the WorkCalendar's, Asia/Shanghai by default):
07:00–10:00 in Shanghai is 23:00–02:00 UTC, so the local day — not the UTC day — names a check. A window
lies within one local day (start < end); across a DST change the local times still hold (zoneinfo).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

ALL_DAYS = "1234567"  # ISO weekdays, 1 = Monday


class ScheduleError(ValueError):
    pass


def parse_hhmm(value: str | time) -> time:
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0, tzinfo=None)
    try:
        hours, minutes = value.strip().split(":")
        return time(int(hours), int(minutes))
    except (ValueError, AttributeError):
        raise ScheduleError(f"时间格式应为 HH:MM / time must be HH:MM, got {value!r}") from None


def normalise_weekdays(days: Iterable[int] | str) -> str:
    """'1234567'-style string, sorted and unique; refuses anything but 1..7 and an empty set."""
    items = list(days) if not isinstance(days, str) else [int(c) for c in days if c.strip()]
    if not items or any(not isinstance(d, int) or not 1 <= d <= 7 for d in items):
        raise ScheduleError(f"签到日须为 1–7 的星期 / weekdays must be ISO days 1..7 (Monday = 1), got {days!r}")
    return "".join(str(d) for d in sorted(set(items)))


def check_window(start: time, end: time) -> None:
    if not start < end:
        raise ScheduleError(f"签到时段须在同一天内且开始早于结束 / the window must start before it ends within one "
                            f"local day, got {start:%H:%M}–{end:%H:%M}")


@dataclass(frozen=True)
class Window:
    day: date  # the local day it belongs to
    start: datetime  # aware UTC
    end: datetime

    def contains(self, at: datetime) -> bool:
        return self.start <= at < self.end


def window_on(day: date, start: time, end: time, tz: ZoneInfo) -> Window:
    return Window(day, datetime.combine(day, start, tz).astimezone(UTC),
                  datetime.combine(day, end, tz).astimezone(UTC))


def local_day_end(day: date, tz: ZoneInfo) -> datetime:
    """Local midnight after ``day``, in UTC: a late check-in counts until then."""
    return datetime.combine(day + timedelta(days=1), time(0), tz).astimezone(UTC)


def is_expected_day(day: date, weekdays: str) -> bool:
    return str(day.isoweekday()) in weekdays


def recent_days(now: datetime, tz: ZoneInfo, back: int) -> list[date]:
    """Today (local) and the ``back`` days before it, oldest first."""
    today = now.astimezone(tz).date()
    return [today - timedelta(days=n) for n in range(back, -1, -1)]
