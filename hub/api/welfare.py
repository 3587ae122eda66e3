"""Welfare watch (1+1+N 独居老人关爱): enrol residents by pseudonymous key, pause/resume, and see each
day's check status and a resident's history. Residents appear only as resident_key + a staff label.

The acting person is the signed-in operator's linked person (staff roles only; the registry checks the role).
Everything is limited to the operator's subtree by the enrolment's grid, and every read is audited
(who looked at which resident's days). The ids a body names are checked against the subtree too: the grid, and
every helper and informed person (a person of another community cannot be made to get its residents' tasks).
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from hub.api.deps import StoreDep
from hub.auth.access_log import PERSONAL_READ, note_access
from hub.auth.http import ActingOperatorDep, ScopeDep, acting_person_id
from hub.auth.scope import OperatorScope
from hub.cases.service import CaseService
from hub.store import HubStore
from hub.welfare import repo as check_store
from hub.welfare.enrolment import (
    AlreadyEnrolled,
    Enrolment,
    EnrolmentError,
    EnrolmentNotFound,
    EnrolmentRegistry,
    EnrolmentSpec,
)
from hub.welfare.evidence import Evidence
from hub.welfare.observations import close_false_alarm
from hub.welfare.today import DayStatus, day_statuses
from hub.welfare.watch import WelfareWatch

router = APIRouter(prefix="/welfare", tags=["welfare"])

HHMM = Annotated[str, Field(pattern=r"^\d{1,2}:\d{2}$", examples=["07:00"])]
Weekdays = Annotated[list[Annotated[int, Field(ge=1, le=7)]], Field(min_length=1, max_length=7,
                                                                     description="ISO days, 1 = Monday")]
ResidentKey = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$",
                                   description="HMAC-SHA256 made on the terminal; never a name or ID number")]
PersonId = Annotated[str, Field(min_length=1, max_length=64)]


class EnrolIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    resident_key: ResidentKey
    label: str = Field(default="", max_length=64, examples=["3栋2单元 独居老人A"])
    grid_code: str
    window_start: HHMM
    window_end: HHMM
    weekdays: Weekdays = [1, 2, 3, 4, 5, 6, 7]
    primary_helper: PersonId
    second_helper: PersonId | None = Field(default=None, description="default: the grid's grid worker")
    informed: list[PersonId] = Field(default_factory=list, max_length=20)
    deadline: HHMM | None = Field(default=None, description="local time by which any evidence (a kiosk tap, a "
                                  "helper's 平安, a patrol's visit) settles the day; default: window_end")


class EnrolmentUpdateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str | None = Field(default=None, max_length=64)
    grid_code: str | None = None
    window_start: HHMM | None = None
    window_end: HHMM | None = None
    weekdays: Weekdays | None = None
    primary_helper: PersonId | None = None
    second_helper: PersonId | None = None
    informed: list[PersonId] | None = Field(default=None, max_length=20)
    deadline: HHMM | None = None


class PauseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=500, examples=["住院 / in hospital"])
    until: date | None = Field(default=None, description="last paused local day; omit for until resumed")


class EnrolmentOut(BaseModel):
    id: str
    resident_key: str
    label: str
    grid_code: str
    window_start: str
    window_end: str
    deadline: str | None
    weekdays: list[int]
    primary_helper: str
    second_helper: str | None
    informed: list[str]
    active: bool
    paused_reason: str
    paused_until: date | None
    enrolled_by: str
    enrolled_at: datetime
    updated_by: str
    updated_at: datetime

    @classmethod
    def of(cls, e: Enrolment) -> EnrolmentOut:
        return cls(**{k: getattr(e, k) for k in cls.model_fields if k not in ("window_start", "window_end",
                                                                                 "weekdays", "deadline")},
                   window_start=f"{e.window_start:%H:%M}", window_end=f"{e.window_end:%H:%M}",
                   deadline=f"{e.deadline:%H:%M}" if e.deadline else None,
                   weekdays=[int(d) for d in e.weekdays])


Status = Literal["checked_in", "missed", "pending", "paused", "not_due", "abnormal"]


class EvidenceOut(BaseModel):
    kind: Literal["checkin", "observation", "patrol"]
    record_id: str
    device_id: str
    at: datetime = Field(description="the time that counts: device time, or the receive time for a fast clock")
    verdict: Literal["safe", "abnormal"]
    signs: list[str]
    case_id: str | None = None

    @classmethod
    def of(cls, e: Evidence) -> EvidenceOut:
        return cls(kind=e.kind, record_id=e.record_id, device_id=e.device_id, at=e.at, verdict=e.verdict,
                   signs=list(e.signs), case_id=e.case_id)


class FalseAlarmOut(BaseModel):
    id: str
    enrolment_id: str
    day: date
    reason: str
    away_until: date | None
    case_ids: list[str]
    recorded_by: str
    recorded_at: datetime


class FalseAlarmIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    day: date = Field(description="the local day of the alarm")
    reason: str = Field(min_length=1, max_length=500, examples=["在女儿家小住 / staying at her daughter's"])
    away_until: date | None = Field(default=None, description="also pause the watch through this local day")


class CheckOut(BaseModel):
    enrolment_id: str
    resident_key: str
    label: str
    grid_code: str
    day: date
    status: Status = Field(description="checked_in = safe today (any evidence); abnormal = a 异常 not yet "
                           "closed as a false alarm")
    judged: bool = Field(description="a stored verdict of the watch; false = worked out now")
    window_start: datetime
    window_end: datetime
    checkin_record_id: str | None = None
    checkin_at: datetime | None = None
    late_record_id: str | None = Field(default=None, description="check-in seen after the day was judged missed")
    late_at: datetime | None = None
    case_id: str | None = None
    case_state: str | None = None
    case_assignee: str | None = None
    settled_by: Literal["checkin", "observation", "patrol"] | None = None
    evidence: list[EvidenceOut] = Field(default_factory=list)
    false_alarm: FalseAlarmOut | None = None

    @classmethod
    def of(cls, s: DayStatus) -> CheckOut:
        e = s.enrolment
        return cls(enrolment_id=e.id, resident_key=e.resident_key, label=e.label, grid_code=e.grid_code, day=s.day,
                   status=s.status, judged=s.judged, window_start=s.window_start, window_end=s.window_end,
                   checkin_record_id=s.checkin_record_id, checkin_at=s.checkin_at, late_record_id=s.late_record_id,
                   late_at=s.late_at, case_id=s.case_id, case_state=s.case_state, case_assignee=s.case_assignee,
                   settled_by=s.settled_by, evidence=[EvidenceOut.of(x) for x in s.evidence],
                   false_alarm=FalseAlarmOut(**{k: s.false_alarm[k] for k in FalseAlarmOut.model_fields})
                   if s.false_alarm else None)


class DayOut(BaseModel):
    day: date
    tz: str
    counts: dict[str, int]
    items: list[CheckOut]


def _refuse(status: int, code: str, error: Exception) -> HTTPException:
    zh, _, en = str(error).partition(" / ")
    return HTTPException(status, detail={"code": code, "zh": zh, "en": en or zh})


def _registry(store) -> EnrolmentRegistry:
    return EnrolmentRegistry(store, clock=store.clock)


def _watch(request: Request, store: HubStore) -> WelfareWatch:
    """The running watch (its zone and grace), or one with the defaults when jobs are not running."""
    jobs = getattr(request.app.state, "jobs", None)
    running = next((j.handle for j in jobs.jobs if j.name == "welfare"), None) if jobs is not None else None
    if isinstance(running, WelfareWatch):
        return running
    return WelfareWatch(store, CaseService(store, clock=store.clock), clock=store.clock)


def _enrolment(store, enrolment_id: str, scope: OperatorScope) -> Enrolment:
    try:
        enrolment = _registry(store).get(enrolment_id)
    except EnrolmentNotFound:
        raise HTTPException(404, f"no welfare enrolment {enrolment_id}") from None
    scope.require_unit(enrolment.grid_code)
    return enrolment


def _check_people(scope: OperatorScope, people: list[str | None]) -> None:
    """Helpers and informed people must be people of the operator's subtree (422, not revealing others)."""
    outside = [p for p in dict.fromkeys(people) if p is not None and scope.person(p) is None]
    if outside:
        raise HTTPException(422, detail={"code": "bad_enrolment",
                                         "zh": f"未知人员 {outside}（您的管辖范围内没有）",
                                         "en": f"unknown people {outside} (none such in your scope)"})


def _write(call):
    try:
        return call()
    except AlreadyEnrolled as dup:
        raise _refuse(409, "already_enrolled", dup) from None
    except EnrolmentNotFound as missing:
        raise HTTPException(404, str(missing)) from None
    except EnrolmentError as bad:
        raise _refuse(422, "bad_enrolment", bad) from None


@router.post("/enrolments", status_code=201, response_model=EnrolmentOut)
def enrol(body: EnrolIn, store: StoreDep, operator: ActingOperatorDep, scope: ScopeDep,
          request: Request) -> EnrolmentOut:
    """Enrol a resident for the daily wellbeing check (1 helper + 1 grid worker + N informed)."""
    actor = acting_person_id(operator)
    scope.require_unit(body.grid_code)
    _check_people(scope, [body.primary_helper, body.second_helper, *body.informed])
    seen = _registry(store).by_resident(body.resident_key)
    if seen is not None and not scope.sees_unit(seen.grid_code):  # say so, but not where nor under which id
        raise HTTPException(409, detail={"code": "already_enrolled", "zh": "该居民已在其他辖区登记",
                                         "en": "resident already enrolled outside your scope"})
    enrolment = _write(lambda: _registry(store).enrol(EnrolmentSpec(**body.model_dump()), actor))
    note_access(request, enrolment_id=enrolment.id)
    return EnrolmentOut.of(enrolment)


@router.get("/enrolments", response_model=list[EnrolmentOut], openapi_extra=PERSONAL_READ)
def list_enrolments(store: StoreDep, scope: ScopeDep,
                    under: Annotated[str | None, Query(description="unit code: that unit's subtree")] = None,
                    active: bool | None = None) -> list[EnrolmentOut]:
    visible, under = scope.visible_part(under)
    return [EnrolmentOut.of(e) for e in _registry(store).list(under=under, active=active)] if visible else []


@router.get("/enrolments/{enrolment_id}", response_model=EnrolmentOut, openapi_extra=PERSONAL_READ)
def get_enrolment(enrolment_id: str, store: StoreDep, scope: ScopeDep) -> EnrolmentOut:
    return EnrolmentOut.of(_enrolment(store, enrolment_id, scope))


@router.patch("/enrolments/{enrolment_id}", response_model=EnrolmentOut)
def update_enrolment(enrolment_id: str, body: EnrolmentUpdateIn, store: StoreDep, operator: ActingOperatorDep,
                     scope: ScopeDep) -> EnrolmentOut:
    """Change label, grid, window, weekdays or helpers (only the fields given)."""
    actor = acting_person_id(operator)
    _enrolment(store, enrolment_id, scope)
    changes = body.model_dump(exclude_unset=True)
    if changes.get("grid_code") is not None:
        scope.require_unit(changes["grid_code"])  # moving a resident out of your subtree is not yours to do
    _check_people(scope, [changes.get("primary_helper"), changes.get("second_helper"),
                          *(changes.get("informed") or [])])
    return EnrolmentOut.of(_write(lambda: _registry(store).update(enrolment_id, actor, **changes)))


@router.post("/enrolments/{enrolment_id}/pause", response_model=EnrolmentOut)
def pause(enrolment_id: str, body: PauseIn, store: StoreDep, operator: ActingOperatorDep,
          scope: ScopeDep) -> EnrolmentOut:
    """Stop the watch (hospital stay, away with family), open-ended or through ``until``."""
    actor = acting_person_id(operator)
    _enrolment(store, enrolment_id, scope)
    return EnrolmentOut.of(_write(lambda: _registry(store).pause(enrolment_id, actor, body.reason, body.until)))


@router.post("/enrolments/{enrolment_id}/resume", response_model=EnrolmentOut)
def resume(enrolment_id: str, store: StoreDep, operator: ActingOperatorDep, scope: ScopeDep) -> EnrolmentOut:
    """Watch again from now on (a window that already opened today is not held against the resident)."""
    actor = acting_person_id(operator)
    _enrolment(store, enrolment_id, scope)
    return EnrolmentOut.of(_write(lambda: _registry(store).resume(enrolment_id, actor)))


@router.get("/enrolments/{enrolment_id}/checks", response_model=list[CheckOut], openapi_extra=PERSONAL_READ)
def history(enrolment_id: str, store: StoreDep, request: Request, scope: ScopeDep,
            limit: Annotated[int, Query(ge=1, le=366)] = 60,
            before: Annotated[date | None, Query(description="page: days before this one")] = None) -> list[CheckOut]:
    """The resident's judged days, newest first."""
    enrolment = _enrolment(store, enrolment_id, scope)
    watch = _watch(request, store)
    with store.read() as conn:
        rows = check_store.history(conn, enrolment_id, limit=limit, before=before)
    # Reuse the day view for the case columns: one day at a time is fine for a page of history.
    return [CheckOut.of(day_statuses(watch, [enrolment], row.day, store.clock())[0]) for row in rows]


@router.get("/checks", response_model=DayOut, openapi_extra=PERSONAL_READ)
def checks_of_day(store: StoreDep, request: Request, scope: ScopeDep,
                  under: Annotated[str | None, Query(description="unit code: that unit's subtree")] = None,
                  day: Annotated[date | None, Query(description="local date; default today")] = None,
                  status: Status | None = None) -> DayOut:
    """Every enrolled resident's status for one local day (default today in the deployment's zone)."""
    watch = _watch(request, store)
    now = store.clock()
    day = day or now.astimezone(watch.tz).date()
    visible, under = scope.visible_part(under)
    enrolments = _registry(store).list(under=under) if visible else []
    items = [CheckOut.of(s) for s in day_statuses(watch, enrolments, day, now)]
    counts: dict[str, int] = {}
    for item in items:
        counts[item.status] = counts.get(item.status, 0) + 1
    if status is not None:
        items = [i for i in items if i.status == status]
    return DayOut(day=day, tz=str(watch.tz), counts=counts, items=items)


@router.post("/enrolments/{enrolment_id}/false-alarm", status_code=201, response_model=FalseAlarmOut)
def false_alarm(enrolment_id: str, body: FalseAlarmIn, store: StoreDep, operator: ActingOperatorDep,
                scope: ScopeDep, request: Request) -> FalseAlarmOut:
    """Close a day's alarm as false (e.g. the resident was away at a daughter's): recorded with the reason, the
    day's open welfare cases noted and, when nobody took them up yet, resolved by the hub for a person to verify;
    ``away_until`` also pauses the watch through that day."""
    actor = acting_person_id(operator)
    _enrolment(store, enrolment_id, scope)
    alarm = _write(lambda: close_false_alarm(_watch(request, store), enrolment_id, body.day, actor, body.reason,
                                             body.away_until))
    note_access(request, enrolment_id=enrolment_id)
    return FalseAlarmOut(**alarm.__dict__)
