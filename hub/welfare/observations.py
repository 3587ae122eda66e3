"""Helpers' observations (平安 / 异常) taken into the watch, 异常 cases, and false alarms closed by staff.

- Each stored ``observation`` record (the generic ingest stored and receipted it) is taken once: one
  ``welfare_observations`` row by the local day of its counted time (hub/welfare/evidence.py), with the person the
  device belongs to. An observation of a resident nobody enrolled is kept (enrolment_id NULL) and counts for nothing.
- A 异常 opens a welfare case at once (source = the observation's record id, so a repeat pass opens nothing),
  filed and dispatched to the enrolment's second helper (the grid worker: the observer is usually the first), else
  the primary; the signs seen go in the case note, the helper's own words stay private on the observation.
- A false alarm (the resident was away at a daughter's, asleep, in hospital) is closed by staff with a reason: the
  closing is recorded per resident and day, every open welfare case of that day gets the note and, when nobody has
  taken it up yet, is resolved by ``system`` for a person to verify and close; ``away_until`` also pauses the watch
  through that day.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from hub.org import repo as org_repo
from hub.welfare import observations_repo as repo
from hub.welfare import repo as check_store
from hub.welfare.enrolment import STAFF_ROLES, EnrolmentError, EnrolmentRegistry
from hub.welfare.evidence import counted_at, local_day_of
from hub.welfare.ports import Watch
from protocol import HelperObservation, uuid7

log = logging.getLogger(__name__)

BATCH = 500
SIGN_NAMES = {"curtains": "窗帘", "lights": "灯光", "water": "用水", "power": "用电", "gas": "燃气", "spoke": "交谈"}


@dataclass
class Taken:
    observations: int = 0
    abnormal_cases: int = 0


def take_observations(watch: Watch, now: datetime) -> Taken:
    """Take every stored observation not taken yet, then open the case of every 异常 still without one."""
    result = Taken()
    while True:
        with watch.db.read() as conn:
            rows = repo.untaken(conn, BATCH)
        if not rows:
            break
        enrolled = {e.resident_key: e for e in watch.enrolments.list()}
        for record in rows:
            row = _row_of(watch, record, enrolled, now)
            try:
                with watch.db.write() as conn:
                    row["person_id"] = org_repo.device_owner(conn, record.device_id)
                    repo.insert(conn, row)
                result.observations += 1
            except sa.exc.IntegrityError:
                continue  # another pass or worker took it first
        if len(rows) < BATCH:
            break
    with watch.db.read() as conn:
        waiting = repo.abnormal_without_case(conn)
    for row in waiting:
        try:
            open_abnormal_case(watch, row)
            result.abnormal_cases += 1
        except Exception:
            watch.failures += 1
            log.exception("welfare: could not open the case of abnormal observation %s", row["record_id"])
    return result


def _row_of(watch: Watch, record: Any, enrolled: dict[str, Any], now: datetime) -> dict[str, Any]:
    at = counted_at(record.device_time, record.received_at)
    base = {"record_id": record.id, "device_id": record.device_id, "person_id": None, "observed_at": record.device_time,
            "counted_at": at, "received_at": record.received_at, "day": local_day_of(at, watch.tz), "case_id": None,
            "taken_at": now}
    try:
        body = HelperObservation.model_validate_json(record.payload)
    except ValueError:  # stored records were validated on the way in; a bad one must not stop the watch
        return base | {"resident_key": "-", "enrolment_id": None, "verdict": "unreadable", "via": "helper",
                       "signs": [], "note": ""}
    enrolment = enrolled.get(body.resident_key)
    return base | {"resident_key": body.resident_key, "enrolment_id": enrolment.id if enrolment else None,
                   "verdict": body.verdict.value, "via": body.via, "signs": [s.value for s in body.signs],
                   "note": body.note}


def open_abnormal_case(watch: Watch, row: dict[str, Any]) -> str:
    enrolment = watch.enrolments.get(row["enrolment_id"])
    with watch.db.read() as conn:
        grid = org_repo.unit(conn, enrolment.grid_code)
    label = enrolment.label or "关爱对象"
    at = row["counted_at"].astimezone(watch.tz).strftime("%Y-%m-%d %H:%M")
    signs = "、".join(SIGN_NAMES.get(s, s) for s in row["signs"]) or "—"
    who = row["person_id"] or row["device_id"]
    note = (f"{label}：{who} 于 {at} 报告异常（所见：{signs}），请立即上门或电话确认。"
            f" / {label}: {who} reported something wrong at {at} (signs: {', '.join(row['signs']) or '-'}); "
            "please visit or call now.")
    helpers = [h for h in (enrolment.second_helper, enrolment.primary_helper) if h]
    case = watch.service.open_case(row["record_id"], watch.category, grid_code=enrolment.grid_code,
                                   community_code=grid.parent_code if grid else None,
                                   title=f"独居老人异常 {label}", note=note, at=row["counted_at"],
                                   route_reason="welfare_enrolment", dispatch_to=helpers).case
    with watch.db.write() as conn:
        repo.link_case(conn, row["record_id"], case.id)
    return case.id


@dataclass(frozen=True)
class FalseAlarm:
    id: str
    enrolment_id: str
    day: date
    reason: str
    away_until: date | None
    case_ids: list[str]
    recorded_by: str
    recorded_at: datetime


def close_false_alarm(watch: Watch, enrolment_id: str, day: date, actor: str, reason: str,
                      away_until: date | None = None) -> FalseAlarm:
    """Record a false alarm of ``day`` and answer that day's open welfare cases with it (see the module doc)."""
    reason = reason.strip()
    if not reason:
        raise EnrolmentError("须说明误报原因 / a false alarm needs a reason")
    registry: EnrolmentRegistry = watch.enrolments
    enrolment = registry.get(enrolment_id)
    with watch.db.read() as conn:
        role = org_repo.person_role(conn, actor)
    if role not in STAFF_ROLES:
        raise EnrolmentError(f"角色 {role} 无权关闭误报 / role {role!r} may not close a false alarm")
    if away_until is not None and away_until < day:
        raise EnrolmentError("外出截止日不能早于该日 / away_until cannot be before the day")
    with watch.db.read() as conn:
        check = check_store.checks_on(conn, [day], [enrolment.resident_key]).get((enrolment.resident_key, day))
        seen = repo.on_days(conn, [enrolment.resident_key], [day]).get((enrolment.resident_key, day), [])
    case_ids = [c for c in [check.case_id if check else None, *(e.case_id for e in seen)] if c]
    now = watch.clock()
    alarm = FalseAlarm(uuid7(int(now.timestamp() * 1000)), enrolment.id, day, reason[:500], away_until, case_ids,
                       actor, now)
    with watch.db.write() as conn:
        repo.insert_false_alarm(conn, {"id": alarm.id, "enrolment_id": alarm.enrolment_id,
                                       "resident_key": enrolment.resident_key, "day": day, "reason": alarm.reason,
                                       "away_until": away_until, "case_ids": case_ids, "recorded_by": actor,
                                       "recorded_at": now})
    note = f"误报：{alarm.reason}（{actor} 记录） / False alarm: {alarm.reason} (recorded by {actor})"
    for case_id in case_ids:
        case = watch.service.get(case_id)
        if case is None or case.state in ("closed", "not_filed"):
            continue
        noted = watch.step(case_id, alarm.id, "note", note=note) or watch.service.get(case_id)
        if noted is not None and noted.state == "dispatched":
            watch.step(case_id, alarm.id, "auto_resolve", note=note + " 系统据误报记录反馈，待核查结案。"
                       " / Resolved by the hub on this false-alarm record; verify and close.")
    if away_until is not None:
        registry.pause(enrolment.id, actor, f"误报后外出 / away after a false alarm: {alarm.reason}", away_until)
    return alarm
