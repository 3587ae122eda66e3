"""One day's picture for the dashboard: each enrolled resident's "safe today" verdict, stored or still open, with
the day's evidence listed (kiosk check-ins, helpers' and patrols' observations).

A stored verdict (welfare_checks) wins; before the watch has judged the day the status is worked out the
same way the watch will (hub/welfare/evidence.py): ``checked_in`` (safe) as soon as any evidence settles the day,
``pending`` until the deadline has passed plus the grace period, ``missed`` after that (the next pass opens the
case). ``abnormal`` whenever a helper reported 异常 that day and no false alarm was recorded since - over any
verdict. ``paused`` and ``not_due`` (not one of the resident's days, or enrolled after the window) are never judged.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from hub.cases import repo as case_repo
from hub.welfare import observations_repo
from hub.welfare import repo as check_store
from hub.welfare.enrolment import Enrolment
from hub.welfare.evidence import Evidence, abnormal, settling
from hub.welfare.watch import WelfareWatch


@dataclass(frozen=True)
class DayStatus:
    enrolment: Enrolment
    day: date
    status: str  # checked_in | missed | pending | paused | not_due | abnormal
    window_start: datetime
    window_end: datetime  # the day's deadline
    judged: bool  # a stored verdict, not a forecast
    checkin_record_id: str | None = None  # the evidence that settled the day (any kind)
    checkin_at: datetime | None = None
    late_record_id: str | None = None
    late_at: datetime | None = None
    case_id: str | None = None
    case_state: str | None = None
    case_assignee: str | None = None
    settled_by: str | None = None  # checkin | observation | patrol
    evidence: list[Evidence] = field(default_factory=list)
    false_alarm: dict[str, Any] | None = None


def day_statuses(watch: WelfareWatch, enrolments: Sequence[Enrolment], day: date, now: datetime) -> list[DayStatus]:
    keys = [e.resident_key for e in enrolments]
    windows = {e.id: watch.window(e, day) for e in enrolments}
    seen = watch.evidence([(e.resident_key, windows[e.id]) for e in enrolments])
    with watch.db.read() as conn:
        stored = check_store.checks_on(conn, [day], keys)
        alarms = observations_repo.false_alarms_on(conn, keys, [day])
        case_ids = [c.case_id for c in stored.values() if c.case_id]
        case_ids += [e.case_id for ev in seen.values() for e in ev if e.case_id]
        case_info = case_repo.states_of(conn, case_ids)
    result = []
    for e in enrolments:
        window, evidence = windows[e.id], seen.get((e.resident_key, day), [])
        alarm = alarms.get((e.resident_key, day))
        kinds = {x.record_id: x.kind for x in evidence}
        troubled = [x for x in abnormal(evidence, day, watch.tz) if alarm is None or x.at > alarm["recorded_at"]]
        row = stored.get((e.resident_key, day))
        if row is not None:
            case_id = troubled[0].case_id if troubled else row.case_id
            state, assignee = case_info.get(case_id or "", (None, None))
            result.append(DayStatus(e, day, "abnormal" if troubled else row.status, row.window_start, row.window_end,
                                    True, row.checkin_record_id, row.checkin_at, row.late_record_id, row.late_at,
                                    case_id, state, assignee, kinds.get(row.checkin_record_id or row.late_record_id
                                                                        or ""), evidence, alarm))
            continue
        if not watch.is_due(e, day):
            status = "paused" if e.paused_on(day) else "not_due"
            result.append(DayStatus(e, day, status, window.start, window.end, False, evidence=evidence,
                                    false_alarm=alarm))
            continue
        hit = settling(window, evidence, watch.tz)
        case_id = troubled[0].case_id if troubled else None
        state, assignee = case_info.get(case_id or "", (None, None))
        if troubled:
            status = "abnormal"
        elif hit is not None:
            status = "checked_in"
        else:
            status = "pending" if now < window.end + watch.grace else "missed"
        result.append(DayStatus(e, day, status, window.start, window.end, False,
                                hit.record_id if hit else None, hit.at if hit else None, case_id=case_id,
                                case_state=state, case_assignee=assignee, settled_by=hit.kind if hit else None,
                                evidence=evidence, false_alarm=alarm))
    return result
