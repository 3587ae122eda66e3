"""The one owner of the welfare tables: ``welfare_enrolments`` (who is watched, by pseudonymous key) and
``welfare_checks`` (one verdict per resident and day), plus the wellbeing check-ins the verdicts are judged on.

Check-ins are ``ResidentCheckin`` records (kind ``checkin``, checkin_kind ``wellbeing``) read through the
records' owner (``hub.store.records``); only their resident_key links them to an enrolment.
"""
from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from hub.org.repo import unit_subtree
from hub.store import records as record_rows
from hub.store.tables import welfare_checks, welfare_enrolments

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


def _check(row: Any) -> WelfareCheck:
    return WelfareCheck(**row._mapping)


def wellbeing_checkins(conn: sa.Connection, keys: Iterable[str], start: datetime,
                       end: datetime) -> dict[str, list[Checkin]]:
    """Wellbeing check-ins of the given residents made (device time) in [start, end), earliest first."""
    wanted = set(keys)
    if not wanted or start >= end:
        return {}
    found: dict[str, list[Checkin]] = defaultdict(list)
    for row in record_rows.checkins_made_between(conn, start, end, slack=CLOCK_SLACK, containing='"wellbeing"'):
        try:
            body = json.loads(row.payload)
        except ValueError:
            continue  # stored records are canonical JSON; a bad row must not stop the watch
        key = body.get("resident_key")
        if body.get("checkin_kind") == "wellbeing" and key in wanted:
            found[key].append(Checkin(row.device_time, row.id, row.device_id, row.received_at))
    return {k: sorted(v) for k, v in found.items()}


def checks_on(conn: sa.Connection, days: Iterable[date],
              keys: Iterable[str] | None = None) -> dict[tuple[str, date], WelfareCheck]:
    query = sa.select(welfare_checks).where(welfare_checks.c.day.in_(sorted(set(days))))
    if keys is not None:
        query = query.where(welfare_checks.c.resident_key.in_(sorted(set(keys))))
    return {(c.resident_key, c.day): c for c in map(_check, conn.execute(query))}


def history(conn: sa.Connection, enrolment_id: str, *, limit: int = 60,
            before: date | None = None) -> list[WelfareCheck]:
    query = (sa.select(welfare_checks).where(welfare_checks.c.enrolment_id == enrolment_id)
             .order_by(welfare_checks.c.day.desc()).limit(limit))
    if before is not None:
        query = query.where(welfare_checks.c.day < before)
    return [_check(r) for r in conn.execute(query)]


def missed_without_case(conn: sa.Connection) -> list[WelfareCheck]:
    query = (sa.select(welfare_checks).where(welfare_checks.c.status == "missed", welfare_checks.c.case_id.is_(None))
             .order_by(welfare_checks.c.day, welfare_checks.c.id))
    return [_check(r) for r in conn.execute(query)]


def missed_awaiting_checkin(conn: sa.Connection, since: date) -> list[WelfareCheck]:
    """Missed checks from ``since`` on that no later check-in has answered yet."""
    query = (sa.select(welfare_checks).where(welfare_checks.c.status == "missed", welfare_checks.c.day >= since,
                                             welfare_checks.c.late_record_id.is_(None))
             .order_by(welfare_checks.c.day, welfare_checks.c.id))
    return [_check(r) for r in conn.execute(query)]


def insert_check(conn: sa.Connection, row: Mapping[str, Any]) -> None:
    """One day's verdict; the unique (resident, day) refuses a second (IntegrityError)."""
    conn.execute(sa.insert(welfare_checks), dict(row))


def link_case(conn: sa.Connection, check_id: str, case_id: str) -> None:
    conn.execute(sa.update(welfare_checks).where(welfare_checks.c.id == check_id).values(case_id=case_id))


def note_late_checkin(conn: sa.Connection, check_id: str, record_id: str, at: datetime) -> None:
    """The first check-in after a missed window answers it (later ones change nothing)."""
    conn.execute(sa.update(welfare_checks).where(welfare_checks.c.id == check_id,
                                                 welfare_checks.c.late_record_id.is_(None))
                 .values(late_record_id=record_id, late_at=at))


# -- enrolments ------------------------------------------------------------------------------------------
def enrolment_row(conn: sa.Connection, enrolment_id: str, *, lock: bool = False) -> dict[str, Any] | None:
    query = sa.select(welfare_enrolments).where(welfare_enrolments.c.id == enrolment_id)
    row = conn.execute(query.with_for_update() if lock else query).first()
    return dict(row._mapping) if row else None


def enrolment_by_resident(conn: sa.Connection, resident_key: str) -> dict[str, Any] | None:
    row = conn.execute(sa.select(welfare_enrolments).where(welfare_enrolments.c.resident_key == resident_key)).first()
    return dict(row._mapping) if row else None


def enrolment_rows(conn: sa.Connection, *, under: str | None = None,
                   active: bool | None = None) -> list[dict[str, Any]]:
    """Enrolments in the subtree of unit ``under`` (by the hierarchy, not code prefixes), by grid then label."""
    query = sa.select(welfare_enrolments).order_by(welfare_enrolments.c.grid_code, welfare_enrolments.c.label,
                                                   welfare_enrolments.c.id)
    if under:
        query = query.where(welfare_enrolments.c.grid_code.in_(unit_subtree(under)))
    if active is not None:
        query = query.where(welfare_enrolments.c.active.is_(active))
    return [dict(r._mapping) for r in conn.execute(query)]


def insert_enrolment(conn: sa.Connection, row: Mapping[str, Any]) -> None:
    conn.execute(sa.insert(welfare_enrolments), dict(row))


def update_enrolment(conn: sa.Connection, enrolment_id: str, values: Mapping[str, Any]) -> None:
    conn.execute(sa.update(welfare_enrolments).where(welfare_enrolments.c.id == enrolment_id).values(**values))
