"""The "safe today" rule of the 1+1+N watch (pure: no I/O), one verdict per resident per local day.

Evidence of a day, any of:
- ``checkin``: the resident's own wellbeing card tap at a kiosk; counts from the window's start;
- ``observation``: a helper's 平安 from their phone (白看窗帘晚看灯，早看水电晚看燃气);
- ``patrol``: a patrol volunteer's 平安 at the door (the same record, ``via`` patrol).
Observations count from the local day's start (a helper may look at the curtains at 06:30). Every kind counts up
to the day's deadline (the enrolment's deadline, else its window's end), by the time it was MADE - device time -
however late it was received: an offline 平安 made at 08:00 and synced at 20:00 settles its day. A device clock
cannot be believed when it says a record was made after the hub received it (a fast clock): then the receive time
counts (:func:`counted_at`). The local day boundary is local midnight: 23:59 belongs to the day, 00:00 to the next.
A 异常 is never evidence of safety: it opens a case at once (hub/welfare/observations.py) and marks the day
abnormal until staff close it as a false alarm.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hub.welfare.schedule import Window

FAST_CLOCK_TOLERANCE = timedelta(minutes=5)  # network and queueing, not a clock running ahead
EVIDENCE_KINDS = ("checkin", "observation", "patrol")


@dataclass(frozen=True, order=True)
class Evidence:
    at: datetime  # the time that counts (aware UTC)
    record_id: str
    kind: str  # checkin | observation | patrol
    device_id: str
    verdict: str = "safe"  # safe | abnormal
    signs: tuple[str, ...] = ()
    received_at: datetime | None = None
    case_id: str | None = None  # the case an abnormal observation opened


def counted_at(device_time: datetime, received_at: datetime,
               tolerance: timedelta = FAST_CLOCK_TOLERANCE) -> datetime:
    """The device's time, unless it claims a moment later than the hub received the record (a fast clock)."""
    return device_time if device_time <= received_at + tolerance else received_at


def local_day_start(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tz).astimezone(UTC)


def local_day_of(at: datetime, tz: ZoneInfo) -> date:
    return at.astimezone(tz).date()


def counts_for(evidence: Evidence, window: Window, tz: ZoneInfo) -> bool:
    """Does this evidence settle the day of ``window`` (whose end is the day's deadline)?"""
    if evidence.verdict != "safe" or evidence.kind not in EVIDENCE_KINDS:
        return False
    start = window.start if evidence.kind == "checkin" else local_day_start(window.day, tz)
    return start <= evidence.at < window.end


def settling(window: Window, evidence: Iterable[Evidence], tz: ZoneInfo) -> Evidence | None:
    """The earliest evidence that settles the day, or None (no evidence: missed once the deadline passed)."""
    return min((e for e in evidence if counts_for(e, window, tz)), default=None)


def abnormal(evidence: Iterable[Evidence], day: date, tz: ZoneInfo) -> list[Evidence]:
    """The day's 异常 observations, earliest first."""
    return sorted(e for e in evidence if e.verdict == "abnormal" and local_day_of(e.at, tz) == day)


def day_status(window: Window, evidence: Iterable[Evidence], tz: ZoneInfo, now: datetime, grace: timedelta, *,
               false_alarm: bool = False) -> str:
    """safe | abnormal | pending | missed for a due day, worked out now (the stored verdict, once written, wins
    for safe / missed; an uncleared 异常 always shows)."""
    seen = list(evidence)
    if abnormal(seen, window.day, tz) and not false_alarm:
        return "abnormal"
    if settling(window, seen, tz) is not None:
        return "safe"
    return "pending" if now < window.end + grace else "missed"
