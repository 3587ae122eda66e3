"""Who a case can go to (派遣 / 改派): ``GET /api/cases/{case_id}/assignees`` → the field staff of your scope near the
case, grouped by their unit, nearest first - the case's grid, its community's other grids, the community, the
rest of its street (``wider=true``: your whole scope) - each with ``can_receive``: a phone of theirs the task
reaches (someone without one can still be assigned, but must be told by phone or in person).
"""
from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field

from hub.api.cases import CaseServiceDep
from hub.api.triage import TriageDep
from hub.auth.http import ScopeDep

router = APIRouter(prefix="/cases", tags=["cases"])


class AssigneeOut(BaseModel):
    id: str
    name: str
    role: str = Field(description="grid_leader | grid_worker | handler | patrol_volunteer")
    can_receive: bool = Field(description="has a phone the task reaches")
    is_assignee: bool = Field(description="the case is with them now (reassign to someone else)")


class AssigneeGroupOut(BaseModel):
    unit_code: str
    unit_name: str
    level: str | None = Field(description="grid | community | street | district | city")
    relation: str = Field(description="case_grid | community_grid | community | street | elsewhere (nearest first)")
    people: list[AssigneeOut]


class AssigneesOut(BaseModel):
    case_id: str
    grid_code: str | None
    community_code: str | None
    groups: list[AssigneeGroupOut]


@router.get("/{case_id}/assignees", response_model=AssigneesOut,
            responses={404: {"description": "no such case (or outside your scope)"}})
def case_assignees(case_id: str, service: CaseServiceDep, triage: TriageDep, scope: ScopeDep,
                   wider: Annotated[bool, Query(description="your whole scope, not only the case's street")] = False,
                   ) -> AssigneesOut:
    """People in your scope who can take the case, nearest first; those whose phone the task reaches first."""
    case = service.get(case_id)
    if case is None:
        raise HTTPException(404, f"no case {case_id}")
    scope.require_case(case)
    groups = triage.assignees(case, scope, wider=wider)
    return AssigneesOut(case_id=case.id, grid_code=case.grid_code, community_code=case.community_code,
                        groups=[AssigneeGroupOut(**asdict(g)) for g in groups])
