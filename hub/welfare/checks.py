"""Daily checks: the stored verdicts (welfare_checks) and the wellbeing check-ins they are judged on.

Check-ins are ``ResidentCheckin`` records (kind ``checkin``, checkin_kind ``wellbeing``) in the records
table; only their resident_key links them to an enrolment.
"""
from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from hub.store.tables import records, welfare_checks

# A check-in cannot be received before it is made, but device clocks run fast now and then; looking this
# far back on the indexed receive time keeps the scan bounded without missing such a record.
CLOCK_SLACK = timedelta(hours=12)


@dataclass(frozen=True)
class WelfareCheck:
    id: str
    enrolment_id: str
    resident_key: str
    day: date
    status: str  # checked_in | missed
    window_start: datetime
    window_end: datetime
    checkin_record_id: str | None
    checkin_at: datetime | None
    late_record_id: str | None
    late_at: datetime | None
    case_id: str | None
    evaluated_at: datetime


@dataclass(frozen=True, order=True)
class Checkin:
    at: datetime  # device time: when the resident tapped the card
    record_id: str
    device_id: str
    received_at: datetime


def _check(row) -> WelfareCheck:
    return WelfareCheck(**row._mapping)


def wellbeing_checkins(conn, keys: Iterable[str], start: datetime, end: datetime) -> dict[str, list[Checkin]]:
    """Wellbeing check-ins of the given residents made (device time) in [start, end), earliest first."""
    wanted = set(keys)
    if not wanted or start >= end:
        return {}
    query = (sa.select(records.c.id, records.c.device_id, records.c.payload, records.c.device_time,
                       records.c.received_at)
             .where(records.c.kind == "checkin", records.c.received_at >= start - CLOCK_SLACK,
                    records.c.device_time >= start, records.c.device_time < end,
                    records.c.payload.contains('"wellbeing"')))
    found: dict[str, list[Checkin]] = defaultdict(list)
    for row in conn.execute(query):
        try:
            body = json.loads(row.payload)
        except ValueError:
            continue  # stored records are canonical JSON; a bad row must not stop the watch
        key = body.get("resident_key")
        if body.get("checkin_kind") == "wellbeing" and key in wanted:
            found[key].append(Checkin(row.device_time, row.id, row.device_id, row.received_at))
    return {k: sorted(v) for k, v in found.items()}


def checks_on(conn, days: Iterable[date], keys: Iterable[str] | None = None) -> dict[tuple[str, date], WelfareCheck]:
    query = sa.select(welfare_checks).where(welfare_checks.c.day.in_(sorted(set(days))))
    if keys is not None:
        query = query.where(welfare_checks.c.resident_key.in_(sorted(set(keys))))
    return {(c.resident_key, c.day): c for c in map(_check, conn.execute(query))}


def history(conn, enrolment_id: str, *, limit: int = 60, before: date | None = None) -> list[WelfareCheck]:
    query = (sa.select(welfare_checks).where(welfare_checks.c.enrolment_id == enrolment_id)
             .order_by(welfare_checks.c.day.desc()).limit(limit))
    if before is not None:
        query = query.where(welfare_checks.c.day < before)
    return [_check(r) for r in conn.execute(query)]


def missed_without_case(conn) -> list[WelfareCheck]:
    query = (sa.select(welfare_checks).where(welfare_checks.c.status == "missed", welfare_checks.c.case_id.is_(None))
             .order_by(welfare_checks.c.day, welfare_checks.c.id))
    return [_check(r) for r in conn.execute(query)]


def missed_awaiting_checkin(conn, since: date) -> list[WelfareCheck]:
    """Missed checks from ``since`` on that no later check-in has answered yet."""
    query = (sa.select(welfare_checks).where(welfare_checks.c.status == "missed", welfare_checks.c.day >= since,
                                             welfare_checks.c.late_record_id.is_(None))
             .order_by(welfare_checks.c.day, welfare_checks.c.id))
    return [_check(r) for r in conn.execute(query)]
