"""Urgent alarms (紧急告警): an urgent case (the reporter said 紧急, or its category is 重大) stays on the dashboard's
alarm until an operator acknowledges it.

``GET /api/alarms`` → the unacknowledged alarms in your scope, newest first. ``POST /api/cases/{case_id}/alarm/ack``
(acting roles) records who acknowledged it and when, on the case and on its trail (a note); acknowledging again
changes nothing (the answer's notices say so).
"""
from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, Field

from hub.api.cases import CaseServiceDep, acting_person
from hub.api.deps import StoreDep
from hub.api.schemas import CaseOut
from hub.api.triage import REFUSALS, TriageDep, case_view, refused
from hub.auth.http import ActingOperatorDep, ScopeDep
from hub.cases import CaseConflict, IllegalTransition
from hub.jobs.wakeup import ring_jobs

router = APIRouter(tags=["alarms"])


class AlarmOut(BaseModel):
    case_id: str
    reference: str | None = Field(description="FS-20261204-0042")
    title: str
    category_code: str
    category_zh: str | None
    category_en: str | None
    level: str = Field(description="blue | yellow | red")
    state: str
    grid_code: str | None
    grid_name: str | None
    community_code: str | None
    alarm_at: datetime


@router.get("/alarms", response_model=list[AlarmOut])
def list_alarms(triage: TriageDep, scope: ScopeDep,
                limit: Annotated[int, Query(ge=1, le=500)] = 200) -> list[AlarmOut]:
    """Alarms nobody has acknowledged yet, of cases in your scope, the newest first."""
    return [AlarmOut(**asdict(alarm)) for alarm in triage.alarms(scope, limit=limit)]


@router.post("/cases/{case_id}/alarm/ack", response_model=CaseOut, responses=REFUSALS)
def acknowledge_alarm(case_id: str, operator: ActingOperatorDep, store: StoreDep, service: CaseServiceDep,
                      triage: TriageDep, scope: ScopeDep, request: Request) -> CaseOut:
    """Acknowledge the case's alarm as your linked person (idempotent); 422 ``no_alarm`` when it never had one."""
    case = service.get(case_id)
    if case is None:
        raise HTTPException(404, f"no case {case_id}")
    scope.require_case(case)
    actor = acting_person(store, operator)
    try:
        acked, notices = triage.acknowledge(case_id, actor=actor, operator_id=operator.id)
    except (IllegalTransition, CaseConflict) as exc:
        raise refused(exc) from None
    ring_jobs(request.app.state, "dispatch")
    return case_view(store, service, acked, notices)
