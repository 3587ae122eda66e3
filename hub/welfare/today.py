"""One day's picture for the dashboard: each enrolled resident's check status, stored or still open.

A stored verdict (welfare_checks) wins; before the watch has judged the day the status is worked out the
same way the watch will: ``checked_in`` as soon as a wellbeing check-in lands in the window, ``pending``
until the window has closed plus the grace period, ``missed`` after that (the next pass opens the case).
``paused`` and ``not_due`` (not one of the resident's days, or enrolled after the window) are never judged.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from hub.cases import repo as case_repo
from hub.welfare import repo as check_store
from hub.welfare.enrolment import Enrolment
from hub.welfare.watch import WelfareWatch


@dataclass(frozen=True)
class DayStatus:
    enrolment: Enrolment
    day: date
    status: str  # checked_in | missed | pending | paused | not_due
    window_start: datetime
    window_end: datetime
    judged: bool  # a stored verdict, not a forecast
    checkin_record_id: str | None = None
    checkin_at: datetime | None = None
    late_record_id: str | None = None
    late_at: datetime | None = None
    case_id: str | None = None
    case_state: str | None = None
    case_assignee: str | None = None


def day_statuses(watch: WelfareWatch, enrolments: Sequence[Enrolment], day: date, now: datetime) -> list[DayStatus]:
    with watch.db.read() as conn:
        stored = check_store.checks_on(conn, [day], [e.resident_key for e in enrolments])
        windows = {e.id: watch.window(e, day) for e in enrolments}
        open_ones = [e for e in enrolments if (e.resident_key, day) not in stored and watch.is_due(e, day)]
        seen = check_store.wellbeing_checkins(
            conn, [e.resident_key for e in open_ones], min((windows[e.id].start for e in open_ones), default=now),
            max((windows[e.id].end for e in open_ones), default=now))
        case_ids = [c.case_id for c in stored.values() if c.case_id]
        case_info = case_repo.states_of(conn, case_ids)
    result = []
    for e in enrolments:
        window = windows[e.id]
        row = stored.get((e.resident_key, day))
        if row is not None:
            state, assignee = case_info.get(row.case_id or "", (None, None))
            result.append(DayStatus(e, day, row.status, row.window_start, row.window_end, True,
                                    row.checkin_record_id, row.checkin_at, row.late_record_id, row.late_at,
                                    row.case_id, state, assignee))
            continue
        if not watch.is_due(e, day):
            status = "paused" if e.paused_on(day) else "not_due"
            result.append(DayStatus(e, day, status, window.start, window.end, False))
            continue
        hit = next((c for c in seen.get(e.resident_key, []) if window.contains(c.at)), None)
        if hit is not None:
            result.append(DayStatus(e, day, "checked_in", window.start, window.end, False, hit.record_id, hit.at))
        else:
            status = "pending" if now < window.end + watch.grace else "missed"
            result.append(DayStatus(e, day, status, window.start, window.end, False))
    return result
