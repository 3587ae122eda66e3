"""The one owner of ``welfare_observations`` (helpers' 平安 / 异常 as taken by the watch) and
``welfare_false_alarms`` (false alarms closed by staff). The observation records themselves are read through the
records' owner (``hub.store.records``)."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

import sqlalchemy as sa

from hub.store import RecordRow
from hub.store import records as record_rows
from hub.store.tables import welfare_false_alarms, welfare_observations
from hub.welfare.evidence import Evidence

OBSERVATION_KIND = "observation"


def untaken(conn: sa.Connection, limit: int) -> list[RecordRow]:
    """Observation records the watch has not taken yet, in device-time order."""
    taken = sa.select(welfare_observations.c.record_id)
    return record_rows.untaken(conn, OBSERVATION_KIND, lambda rid: rid.in_(taken), since=None, limit=limit,
                               by_device_time=True)


def insert(conn: sa.Connection, row: Mapping[str, Any]) -> None:
    """One taken observation; its primary key (the record id) refuses a second take (IntegrityError)."""
    conn.execute(sa.insert(welfare_observations), dict(row))


def link_case(conn: sa.Connection, record_id: str, case_id: str) -> None:
    conn.execute(sa.update(welfare_observations).where(welfare_observations.c.record_id == record_id)
                 .values(case_id=case_id))


def _evidence(row: Any) -> Evidence:
    return Evidence(row.counted_at, row.record_id, "patrol" if row.via == "patrol" else "observation",
                    row.device_id, row.verdict, tuple(row.signs or ()), row.received_at, row.case_id)


def on_days(conn: sa.Connection, keys: Iterable[str], days: Iterable[date]) -> dict[tuple[str, date], list[Evidence]]:
    """Enrolled residents' observations of the given local days, by (resident, day), earliest first."""
    wanted, when = sorted(set(keys)), sorted(set(days))
    if not wanted or not when:
        return {}
    found: dict[tuple[str, date], list[Evidence]] = {}
    query = (sa.select(welfare_observations).where(welfare_observations.c.resident_key.in_(wanted),
                                                   welfare_observations.c.day.in_(when),
                                                   welfare_observations.c.enrolment_id.is_not(None))
             .order_by(welfare_observations.c.counted_at, welfare_observations.c.record_id))
    for row in conn.execute(query):
        found.setdefault((row.resident_key, row.day), []).append(_evidence(row))
    return found


def abnormal_without_case(conn: sa.Connection) -> list[dict[str, Any]]:
    query = (sa.select(welfare_observations).where(welfare_observations.c.verdict == "abnormal",
                                                   welfare_observations.c.enrolment_id.is_not(None),
                                                   welfare_observations.c.case_id.is_(None))
             .order_by(welfare_observations.c.counted_at))
    return [dict(r._mapping) for r in conn.execute(query)]


def insert_false_alarm(conn: sa.Connection, row: Mapping[str, Any]) -> None:
    conn.execute(sa.insert(welfare_false_alarms), dict(row))


def false_alarms_on(conn: sa.Connection, keys: Iterable[str],
                    days: Iterable[date]) -> dict[tuple[str, date], dict[str, Any]]:
    """The latest false-alarm closing per (resident, day)."""
    wanted, when = sorted(set(keys)), sorted(set(days))
    if not wanted or not when:
        return {}
    query = (sa.select(welfare_false_alarms).where(welfare_false_alarms.c.resident_key.in_(wanted),
                                                   welfare_false_alarms.c.day.in_(when))
             .order_by(welfare_false_alarms.c.recorded_at))
    return {(r.resident_key, r.day): dict(r._mapping) for r in conn.execute(query)}
