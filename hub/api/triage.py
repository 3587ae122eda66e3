"""待研判 (triage): the reported cases that wait for a person, why, and where they may belong; and the three ways
out - file into a grid (dispatched at once to its grid leader when it has one), merge into an open case, reject.

``GET /api/triage`` → ``{"items": [{"case": CaseOut, "reasons": [{code, zh, en}], "candidates": [{grid_code,
grid_name, share, geometry, in_scope}]}]}``, the red and urgent first, then the oldest; reason codes (labels:
``protocol.labels`` ``triage.*``): straddles_boundary, near_grid, community_fallback, unassigned,
unknown_category, disabled_category, low_accuracy, no_grid_leader, flagged.

``POST /api/cases/{case_id}/triage`` ``{"action": "file"|"merge"|"reject", ...}`` → the case (CaseOut) with
``notices``. Every id in the body is checked against your scope like a path: the grid (file), the merge target
(by id or reference). Refusals: 422 ``{code, zh, en}``; 409 when the case moved on since ``expected_version``.
Service: :mod:`hub.cases.triage`.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from hub.api.cases import CaseServiceDep, acting_person, case_out
from hub.api.deps import StoreDep
from hub.api.schemas import CaseOut, IllegalTransitionOut, NoticeOut, PersonRef
from hub.auth.access_log import note_access
from hub.auth.http import ActingOperatorDep, ScopeDep
from hub.cases import CaseConflict, CaseRow, CaseService, IllegalTransition
from hub.cases.triage import Notice, Triage
from hub.jobs.wakeup import ring_jobs
from hub.org import repo as org_repo
from hub.store import HubStore

router = APIRouter(tags=["triage"])

CATEGORY_CODE = r"^[A-Za-z0-9._-]{1,16}$"
REFUSALS: dict[int | str, dict[str, Any]] = {
    404: {"description": "no such case (or outside your scope)"},
    409: {"description": "the case changed since expected_version"},
    422: {"model": IllegalTransitionOut, "description": "refused by the rules, or an id in the body is not yours "
                                                         "to name: detail = {code, zh, en}"}}


# -- shared by the control-room routes (case_intake, alarms, assignees) ---------------------------------------
def refusal(status: int, code: str, zh: str, en: str) -> HTTPException:
    return HTTPException(status, detail={"code": code, "zh": zh, "en": en})


def refused(exc: IllegalTransition | CaseConflict) -> HTTPException:
    if isinstance(exc, IllegalTransition):
        return refusal(422, exc.code, exc.zh, exc.en)
    return refusal(409, "version_conflict", "案件已被他人更新，请刷新后重试", str(exc))


def get_triage(request: Request, store: StoreDep, service: CaseServiceDep) -> Triage:
    # The running intake's grid router (cached) when the app has one: the same routing as device reports.
    return Triage(store, service, intake=getattr(request.app.state, "intake", None))


TriageDep = Annotated[Triage, Depends(get_triage)]


def notices_out(notices: Iterable[Notice]) -> list[NoticeOut]:
    return [NoticeOut(code=n.code, zh=n.zh, en=n.en) for n in notices]


def case_view(store: HubStore, service: CaseService, case: CaseRow, notices: Iterable[Notice] = (), *,
              trail: bool = True) -> CaseOut:
    """The case as the case API shows it (``trail``: with its escalation history), with ``notices``."""
    refs: dict[str, PersonRef] = {}
    if case.assignee:
        with store.read() as conn:
            person = org_repo.person(conn, case.assignee)
        if person is not None:
            refs[person.id] = PersonRef(id=person.id, name=person.name, role=person.role)
    out = case_out(asdict(case), now=service.clock(), calendar=service.calendar, refs=refs,
                   events=service.events(case.id) if trail else None)
    return out.model_copy(update={"notices": notices_out(notices)})


# -- the queue ------------------------------------------------------------------------------------------------
class ReasonOut(BaseModel):
    code: str = Field(examples=["straddles_boundary"])
    zh: str
    en: str


class CandidateOut(BaseModel):
    grid_code: str
    grid_name: str
    share: float | None = Field(description="share of the report's accuracy circle in the grid (null: not measured)")
    geometry: dict[str, Any] | None = Field(description="the grid's outline, GeoJSON (WGS-84)")
    in_scope: bool = Field(description="you may file the case into this grid")


class TriageItemOut(BaseModel):
    case: CaseOut
    reasons: list[ReasonOut]
    candidates: list[CandidateOut]


class TriagePage(BaseModel):
    items: list[TriageItemOut]


@router.get("/triage", response_model=TriagePage)
def triage_queue(store: StoreDep, service: CaseServiceDep, triage: TriageDep, scope: ScopeDep,
                 limit: Annotated[int, Query(ge=1, le=500)] = 200) -> TriagePage:
    """Reported cases in your scope that wait for a person (auto-dispatch left them), with why and where they may
    belong: the red and urgent first, then the oldest."""
    items = []
    for item in triage.queue(scope, limit=limit):
        items.append(TriageItemOut(
            case=case_view(store, service, item.case, trail=False),
            reasons=[ReasonOut(**asdict(r)) for r in item.reasons],
            candidates=[CandidateOut(**asdict(c)) for c in item.candidates]))
    return TriagePage(items=items)


# -- the actions ----------------------------------------------------------------------------------------------
class TriageIn(BaseModel):
    """What to do with a reported case that waits in triage."""

    model_config = ConfigDict(extra="forbid")
    action: Literal["file", "merge", "reject"]
    grid_code: str | None = Field(default=None, min_length=1, max_length=64,
                                  description="file: the grid (in your scope); default: the case's own grid")
    category_code: str | None = Field(default=None, pattern=CATEGORY_CODE,
                                      description="file: the category (it must exist and be enabled); default: the "
                                                  "report's")
    merge_into: str | None = Field(default=None, min_length=1, max_length=36,
                                   description="merge: the open case (id or reference FS-…) in your scope")
    reason: str = Field(default="", max_length=1000, description="reject: why (required)")
    note: str = Field(default="", max_length=1000)
    expected_version: int | None = Field(default=None, ge=1, le=2**31 - 1,
                                         description="the version read; 409 if it moved on")

    @model_validator(mode="after")
    def _fields_of_the_action(self) -> TriageIn:
        extra = {"grid_code", "category_code", "merge_into"} - {"file": {"grid_code", "category_code"},
                                                                "merge": {"merge_into"}, "reject": set()}[self.action]
        given = sorted(name for name in extra if getattr(self, name) is not None)
        if given:
            raise ValueError(f"{', '.join(given)} not used by {self.action}")
        if self.action == "merge" and self.merge_into is None:
            raise ValueError("merge needs merge_into")
        return self


@router.post("/cases/{case_id}/triage", response_model=CaseOut, responses=REFUSALS)
def triage_case(case_id: str, body: TriageIn, operator: ActingOperatorDep, store: StoreDep,
                service: CaseServiceDep, triage: TriageDep, scope: ScopeDep, request: Request) -> CaseOut:
    """File, merge or reject a reported case as your linked person; the case comes back with ``notices`` (e.g.
    whether it went to the grid leader). Audited on the case's trail (with your account) and in the access log."""
    case = service.get(case_id)
    if case is None:
        raise HTTPException(404, f"no case {case_id}")
    scope.require_case(case)
    actor = acting_person(store, operator)
    try:
        if body.action == "file":
            result, notices = triage.file(case_id, actor=actor, operator_id=operator.id, scope=scope,
                                          grid_code=body.grid_code, category_code=body.category_code, note=body.note,
                                          expected_version=body.expected_version)
        elif body.action == "merge":
            assert body.merge_into is not None  # the model's validator
            note_access(request, merge_into=body.merge_into)
            result, notices = triage.merge(case_id, actor=actor, operator_id=operator.id, scope=scope,
                                           merge_into=body.merge_into, note=body.note,
                                           expected_version=body.expected_version)
        else:
            result, notices = triage.reject(case_id, actor=actor, operator_id=operator.id, reason=body.reason,
                                            note=body.note, expected_version=body.expected_version)
    except (IllegalTransition, CaseConflict) as exc:
        raise refused(exc) from None
    ring_jobs(request.app.state, "dispatch")  # the new events reach the devices now, not at the next poll
    return case_view(store, service, result, notices)
