"""回访: the follow-up queue, operators' calls, kiosk answers and the KPIs 回访率 / 满意率 (hub/followup).

``GET /api/followups`` → follow-ups still awaiting an answer in your scope, overdue (未回访) first;
``GET /api/followups/answers`` → the latest answers (``channel`` kiosk | lookup | call);
``GET /api/cases/{case_id}/followup`` → the case's current follow-up (404: none, or the case is not yours);
``POST /api/cases/{case_id}/followup/call`` (acting roles) → log a call: 满意 / 基本满意 / 不满意 / 未联系上 and a
note (不满意 reopens the case as 返工, the note on its trail; the first answer wins: 409 ``already_answered``);
``GET /api/followups/kpis`` → 回访率 and 满意率 of the closings in a period, total or by grid / category.
Every route checks the operator's scope on the case (another community's follow-up is 404)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import AwareDatetime, BaseModel, Field

from hub.api.cases import CaseServiceDep, acting_person
from hub.api.deps import StoreDep
from hub.auth.http import ActingOperatorDep, ScopeDep
from hub.auth.scope import OperatorScope
from hub.cases import CaseConflict, IllegalTransition
from hub.cases.service import CaseService
from hub.followup.kpis import followup_kpis
from hub.followup.repo import FollowupRow
from hub.followup.service import FollowupRefused, FollowupService
from hub.jobs.wakeup import ring_jobs

router = APIRouter(tags=["followups"])

CallOutcome = Literal["satisfied", "basically_satisfied", "dissatisfied", "not_reached"]


class FollowupOut(BaseModel):
    case_id: str
    reference: str | None
    round: int = Field(description="1 for the first closing, +1 after each reopen")
    title: str
    category_code: str
    grid_code: str | None
    community_code: str | None
    state: str = Field(description="pending | answered | not_reached | skipped")
    overdue: bool = Field(description="未回访: still awaiting after the window")
    closed_at: datetime
    due_at: datetime
    by_card: bool = Field(description="the reporter reported with a card: the kiosks prompt them")
    prompted_at: datetime | None
    answer: str | None = Field(description="satisfied | basically_satisfied | dissatisfied")
    channel: str | None = Field(description="kiosk | lookup | call")
    answered_at: datetime | None
    answered_by: str | None
    attempts: int


class CallIn(BaseModel):
    outcome: CallOutcome
    note: str = Field(default="", max_length=1000, description="private: on the case trail when it reopens")


class FollowupKpiOut(BaseModel):
    key: str | None
    due: int
    answered: int
    satisfied: int
    basically_satisfied: int
    dissatisfied: int
    not_reached: int
    overdue: int
    followup_rate: float | None = Field(description="回访率 = answered / due")
    satisfaction_rate: float | None = Field(description="满意率 = (satisfied + basically_satisfied) / answered")


class FollowupKpiReportOut(BaseModel):
    start: datetime
    end: datetime
    by: str | None
    rows: list[FollowupKpiOut]


def get_followup_service(request: Request, store: StoreDep, cases: CaseServiceDep) -> FollowupService:
    settings = getattr(request.app.state, "settings", None)
    window = timedelta(hours=settings.followup_window_h if settings is not None else 48.0)
    share = settings.followup_share if settings is not None else 1.0
    return FollowupService(store, cases, window=window, share=share)


FollowupDep = Annotated[FollowupService, Depends(get_followup_service)]


def _refusal(status: int, code: str, zh: str, en: str) -> HTTPException:
    return HTTPException(status, detail={"code": code, "zh": zh, "en": en})


def _out(row: FollowupRow, now: datetime) -> FollowupOut:
    return FollowupOut(case_id=row.case_id, reference=row.reference, round=row.round, title=row.title,
                       category_code=row.category_code, grid_code=row.grid_code, community_code=row.community_code,
                       state=row.state, overdue=row.overdue(now), closed_at=row.closed_at, due_at=row.due_at,
                       by_card=row.resident_key is not None, prompted_at=row.prompted_at, answer=row.answer,
                       channel=row.channel, answered_at=row.answered_at, answered_by=row.answered_by,
                       attempts=row.attempts)


def _case_in_scope(cases: CaseService, case_id: str, scope: OperatorScope) -> None:
    case = cases.get(case_id)
    if case is None:
        raise HTTPException(404, f"no case {case_id}")
    scope.require_case(case)


@router.get("/followups", response_model=list[FollowupOut])
def followup_queue(followups: FollowupDep, scope: ScopeDep,
                   limit: Annotated[int, Query(ge=1, le=500)] = 200) -> list[FollowupOut]:
    """Follow-ups awaiting an answer (pending, or called without reaching anyone), overdue ones first."""
    now = followups.clock()
    return [_out(r, now) for r in followups.queue(scope.case_units, limit=limit)]


@router.get("/followups/answers", response_model=list[FollowupOut])
def followup_answers(followups: FollowupDep, scope: ScopeDep,
                     channel: Literal["kiosk", "lookup", "call"] | None = None,
                     limit: Annotated[int, Query(ge=1, le=200)] = 50) -> list[FollowupOut]:
    """The latest answers in your scope, newest first (the resident's words are on the case trail only)."""
    now = followups.clock()
    return [_out(r, now) for r in followups.recent_answers(scope.case_units, channel=channel, limit=limit)]


@router.get("/followups/kpis", response_model=FollowupKpiReportOut)
def followup_kpi_report(store: StoreDep, followups: FollowupDep, scope: ScopeDep,
                        start: AwareDatetime | None = None, end: AwareDatetime | None = None,
                        by: Literal["grid", "category"] | None = None) -> FollowupKpiReportOut:
    """回访率 and 满意率 of the cases closed in [start, end) (default: the last 30 days), in your scope."""
    now = followups.clock()
    end = (end or now).astimezone(UTC)
    start = (start or end - timedelta(days=30)).astimezone(UTC)
    if start >= end:
        raise _refusal(422, "bad_period", "开始时间须早于结束时间", "start must be before end")
    rows = followup_kpis(store, start, end, now, by=by, scope_units=scope.case_units)
    return FollowupKpiReportOut(start=start, end=end, by=by,
                                rows=[FollowupKpiOut(**r.as_dict()) for r in rows])


@router.get("/cases/{case_id}/followup", response_model=FollowupOut)
def case_followup(case_id: str, cases: CaseServiceDep, followups: FollowupDep, scope: ScopeDep) -> FollowupOut:
    _case_in_scope(cases, case_id, scope)
    row = followups.current(case_id)
    if row is None:
        raise _refusal(404, "no_followup", "该案件没有回访记录", "this case has no follow-up")
    return _out(row, followups.clock())


@router.post("/cases/{case_id}/followup/call", response_model=FollowupOut,
             responses={409: {"description": "already answered / not awaiting a follow-up"}})
def log_followup_call(case_id: str, body: CallIn, operator: ActingOperatorDep, store: StoreDep,
                      cases: CaseServiceDep, followups: FollowupDep, scope: ScopeDep,
                      request: Request) -> FollowupOut:
    """Log a follow-up call as your linked person: an answer (the first one wins) or 未联系上 (an attempt)."""
    _case_in_scope(cases, case_id, scope)
    person = acting_person(store, operator)
    try:
        taken = followups.log_call(case_id, body.outcome, person=person.id, operator_id=operator.id,
                                   note=body.note)
    except FollowupRefused as exc:
        raise _refusal(409, exc.code, exc.zh, exc.en) from None
    except (IllegalTransition, CaseConflict) as exc:
        code = getattr(exc, "code", "conflict")
        raise _refusal(409, code, getattr(exc, "zh", str(exc)), getattr(exc, "en", str(exc))) from None
    bridge = getattr(request.app.state, "bridge", None)
    if taken.withdrawals and bridge is not None:
        bridge.send_downlinks(taken.withdrawals)  # else the bridge's maintenance sends them
    if taken.reopened:
        ring_jobs(request.app.state, "dispatch")
    return _out(taken.row, followups.clock())

