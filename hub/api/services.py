"""Community services (hub/services): service queues per role, the dispute register (台账) with both colours and
its plans, the home-visit diary (法律需求日记), the KPIs, and their exports (xlsx / CSV, hub/api/office.py).

``GET /api/services/requests`` / ``queues`` / ``kpis``; ``GET|PUT /api/services/routes`` (admins: which role takes a
unit's requests of a kind); ``PUT /api/services/requests/{case_id}/outcome``;
``GET /api/disputes`` (register), ``GET /api/disputes/{case_id}`` (with the grading log),
``POST /api/disputes/{case_id}/grade`` (register / re-grade: the colour's plan applies), ``.../outcome``,
``.../followup-done``; ``GET|PUT /api/disputes/criteria`` and ``/plans`` (admins); ``GET /api/visits``;
``GET /api/disputes/export`` and ``/api/visits/export``.
Every route checks the operator's scope on every case or unit it touches (elsewhere: 404). Parties' free text,
agreements and visit notes are private: shown to the acting roles only, and those reads are in the access log."""
from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response
from pydantic import AwareDatetime, BaseModel, Field
from starlette.concurrency import run_in_threadpool

from hub.api.cases import CaseServiceDep, acting_person
from hub.api.deps import StoreDep
from hub.api.office import Column, csv_bytes, xlsx_bytes
from hub.auth.access_log import PERSONAL_READ
from hub.auth.http import ActingOperatorDep, AdminDep, OperatorDep, ScopeDep
from hub.auth.operators import Operator
from hub.cases import CaseConflict, IllegalTransition
from hub.jobs.wakeup import ring_jobs
from hub.services import repo, routing, views
from hub.services.desk import ServiceDesk, ServiceRefused
from hub.services.disputes import DISPUTE_OUTCOMES, DISPUTE_TYPES, DisputeRefused, DisputeService
from hub.services.repo import Criterion, Plan

router = APIRouter(tags=["services"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Kind = Literal["legal", "mediation", "repair", "welfare", "other"]
Colour = Literal["blue", "yellow", "red"]
RoleName = Annotated[str, Field(pattern=r"^[a-z_]{2,20}$")]
CaseId = Annotated[str, Field(pattern=r"^[0-9a-f-]{36}$")]


class RouteIn(BaseModel):
    unit_code: Annotated[str, Field(pattern=r"^[0-9]{6,18}$")]
    kind: Kind
    role: RoleName | None = Field(default=None, description="people.role that takes it; null: the control room")


class OutcomeIn(BaseModel):
    outcome: Literal["settled", "transferred", "litigation", "withdrawn", "answered", "done"]


class Party(BaseModel):
    resident_key: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] | None = None
    private: Annotated[str, Field(max_length=200)] | None = Field(default=None, description="free text: private")


class GradeIn(BaseModel):
    reason: Annotated[str, Field(min_length=1, max_length=500)]
    criteria: list[Annotated[str, Field(pattern=r"^[a-z0-9_]{1,32}$")]] | None = Field(default=None, max_length=20)
    dispute_type: Literal["neighbour", "family", "property", "labour", "land", "other"] | None = None
    parties: list[Party] | None = Field(default=None, max_length=20)


class DisputeOutcomeIn(BaseModel):
    outcome: Literal["settled", "transferred", "litigation", "withdrawn"]
    agreement: Annotated[str, Field(max_length=2000)] = ""


class CriterionIn(BaseModel):
    colour: Colour
    label_zh: Annotated[str, Field(min_length=1, max_length=128)]
    label_en: Annotated[str, Field(min_length=1, max_length=256)]
    enabled: bool = True
    position: Annotated[int, Field(ge=0, le=1000)] = 0


class PlanIn(BaseModel):
    lead_role: RoleName
    informed_roles: list[RoleName] = Field(default_factory=list, max_length=10)
    visit_interval_days: Annotated[int, Field(ge=1, le=365)]
    time_limit_days: Annotated[int, Field(ge=1, le=365)]
    escalate_to: Literal["community", "street", "district", "city"] | None = None


def _refusal(status: int, code: str, zh: str, en: str) -> HTTPException:
    return HTTPException(status, detail={"code": code, "zh": zh, "en": en})


def _private(operator: Operator) -> bool:
    """Private text is for the roles that handle cases (admin, dispatcher, supervisor), never viewers."""
    return operator.role != "viewer"


def _utc(value: datetime | None) -> datetime | None:
    """A query's time in UTC; 422 for one at the very edge of the calendar (year 1 / 9999 in another zone)."""
    try:
        return value.astimezone(UTC) if value is not None else None
    except OverflowError:
        raise _refusal(422, "bad_time", "时间超出范围", "time out of range") from None


def _period(since: datetime | None, until: datetime | None, now: datetime, days: int = 30) -> tuple[datetime, datetime]:
    try:
        end = _utc(until) or now + timedelta(minutes=1)  # default: up to now, what was made just now too
        start = _utc(since) or end - timedelta(days=days)
    except OverflowError:
        raise _refusal(422, "bad_time", "时间超出范围", "time out of range") from None
    if start >= end:
        raise _refusal(422, "bad_period", "开始时间须早于结束时间", "since must be before until")
    return start, end


def _top_only(scope: ScopeDep) -> None:
    if not scope.top:
        raise _refusal(403, "top_admin_only", "研判标准和预案由最高层级管理员维护",
                       "the criteria and plans are kept by a top-level admin")


def _case_in_scope(cases: CaseServiceDep, case_id: str, scope: ScopeDep) -> None:
    case = cases.get(case_id)
    if case is None:
        raise HTTPException(404, f"no case {case_id}")
    scope.require_case(case)


# -- service requests ----------------------------------------------------------------------------------------------
@router.get("/services/requests")
def service_requests(store: StoreDep, scope: ScopeDep, kind: Kind | None = None,
                     role: Annotated[str | None, Query(pattern=r"^[a-z_]{2,20}$")] = None,
                     open: bool = False, since: AwareDatetime | None = None, until: AwareDatetime | None = None,
                     limit: Annotated[int, Query(ge=1, le=1000)] = 300) -> list[dict[str, Any]]:
    """Service cases in your scope, newest first, with their case (reference, state, deadline colour) and the
    first contact (the handler's accept)."""
    return views.requests(store, scope.case_units, kind=kind, role=role, open_only=open, since=_utc(since),
                          until=_utc(until), limit=limit)


@router.get("/services/queues")
def service_queues(store: StoreDep, scope: ScopeDep) -> list[dict[str, Any]]:
    """Open service cases per role that takes them (role null: the control room)."""
    return views.queues(store, scope.case_units)


@router.get("/services/kpis")
def service_kpis(store: StoreDep, scope: ScopeDep, cases: CaseServiceDep, since: AwareDatetime | None = None,
                 until: AwareDatetime | None = None) -> dict[str, Any]:
    """调解成功率, average minutes to first contact, 30-day follow-up visits done; default: the last 30 days."""
    now = cases.clock()
    start, end = _period(since, until, now)
    return views.kpis(store, scope.case_units, start, end, now)


@router.get("/services/routes")
def service_routes(store: StoreDep, scope: ScopeDep) -> dict[str, Any]:
    """The per-unit routing rows in your scope, and the defaults used where no unit up the chain has one."""
    with store.read() as conn:
        rows = repo.routes_in(conn, None if scope.top else scope.units)
    return {"routes": rows, "defaults": dict(routing.DEFAULT_ROLES)}


@router.put("/services/routes")
def set_service_route(body: RouteIn, store: StoreDep, scope: ScopeDep, admin: AdminDep,
                      cases: CaseServiceDep) -> dict[str, Any]:
    scope.require_unit(body.unit_code)
    with store.write() as conn:
        repo.set_route(conn, body.unit_code, body.kind, body.role, cases.clock(), admin.id)
    return {"unit_code": body.unit_code, "kind": body.kind, "role": body.role}


@router.put("/services/requests/{case_id}/outcome")
def service_outcome(case_id: str, body: OutcomeIn, store: StoreDep, scope: ScopeDep, cases: CaseServiceDep,
                    operator: ActingOperatorDep) -> dict[str, Any]:
    _case_in_scope(cases, case_id, scope)
    person = acting_person(store, operator)
    try:
        row = ServiceDesk(store, cases).record_outcome(case_id, body.outcome, person.id)
    except ServiceRefused as exc:
        raise _refusal(409, exc.code, exc.zh, exc.en) from None
    return {"case_id": row.case_id, "outcome": row.outcome, "outcome_at": row.outcome_at}


# -- disputes ------------------------------------------------------------------------------------------------------
@router.get("/disputes", openapi_extra=PERSONAL_READ)
def dispute_register(store: StoreDep, scope: ScopeDep, operator: OperatorDep, since: AwareDatetime | None = None,
                     until: AwareDatetime | None = None) -> list[dict[str, Any]]:
    """The dispute register (台账): seriousness colour, deadline colour, the higher of the two, plan, outcome."""
    return views.register(store, scope.case_units, private=_private(operator), since=_utc(since), until=_utc(until))


@router.get("/disputes/colours")
def dispute_colours(store: StoreDep, scope: ScopeDep) -> dict[str, dict[str, str]]:
    """Open disputes in your scope: case id → seriousness, deadline colour and the higher (the board's marks)."""
    return views.colours(store, scope.case_units)


@router.get("/disputes/criteria")
def dispute_criteria(store: StoreDep, cases: CaseServiceDep) -> list[dict[str, Any]]:
    """The assessment criteria (admin data): each names the colour it sets."""
    return [asdict(c) for c in DisputeService(store, cases).criteria()]


@router.put("/disputes/criteria/{criterion_id}")
def save_dispute_criterion(criterion_id: Annotated[str, Path(pattern=r"^[a-z0-9_]{1,32}$")], body: CriterionIn,
                           store: StoreDep, cases: CaseServiceDep, admin: AdminDep, scope: ScopeDep) -> dict[str, Any]:
    """Add or change a criterion (top-level admins: the deployment's data); disabling one keeps it out of new
    gradings."""
    _top_only(scope)
    try:
        DisputeService(store, cases).save_criterion(Criterion(criterion_id, body.colour, body.label_zh,
                                                              body.label_en, body.enabled, body.position))
    except DisputeRefused as exc:
        raise _refusal(422, exc.code, exc.zh, exc.en) from None
    return {"id": criterion_id} | body.model_dump()


@router.get("/disputes/plans")
def dispute_plans(store: StoreDep, cases: CaseServiceDep) -> dict[str, dict[str, Any]]:
    """The plan (预案) per colour: lead role, informed roles, visit interval, time limit, escalation."""
    return {colour: asdict(p) for colour, p in DisputeService(store, cases).plans().items()}


@router.put("/disputes/plans/{colour}")
def save_dispute_plan(colour: Colour, body: PlanIn, store: StoreDep, cases: CaseServiceDep,
                      admin: AdminDep, scope: ScopeDep) -> dict[str, Any]:
    """Change a colour's plan (top-level admins: one plan per colour for the whole deployment)."""
    _top_only(scope)
    try:
        DisputeService(store, cases).save_plan(Plan(colour, body.lead_role, list(body.informed_roles),
                                                    body.visit_interval_days, body.time_limit_days,
                                                    body.escalate_to), admin.id)
    except DisputeRefused as exc:
        raise _refusal(422, exc.code, exc.zh, exc.en) from None
    return {"colour": colour} | body.model_dump()


def _export(rows: list[list[Any]], headers: tuple[tuple[str, str, bool], ...], lang: str, fmt: str,
            sheet: tuple[str, str], zone: ZoneInfo) -> Response:
    i = 0 if lang == "zh-CN" else 1
    columns = [Column(h[i], text=text) for *h, text in headers]
    body = xlsx_bytes(sheet[i], columns, rows, zone) if fmt == "xlsx" else csv_bytes(columns, rows, zone)
    name = f"{sheet[i]}_{datetime.now(zone):%Y%m%d-%H%M}.{fmt}"
    return Response(body, media_type=XLSX if fmt == "xlsx" else "text/csv; charset=utf-8",
                    headers={"Content-Disposition": f"attachment; filename=\"export.{fmt}\"; "
                                                    f"filename*=UTF-8''{quote(name)}"})


def _zone(request: Request) -> ZoneInfo:
    settings = getattr(request.app.state, "settings", None)
    return ZoneInfo(settings.time_zone if settings is not None else "Asia/Shanghai")


@router.get("/disputes/export", response_class=Response, openapi_extra=PERSONAL_READ,
            responses={200: {"content": {XLSX: {}, "text/csv": {}}, "description": "the dispute register"}})
async def dispute_export(request: Request, store: StoreDep, scope: ScopeDep, operator: OperatorDep,
                         format: Literal["xlsx", "csv"] = "xlsx", lang: Literal["zh-CN", "en"] = "zh-CN",
                         since: AwareDatetime | None = None, until: AwareDatetime | None = None) -> Response:
    since, until = _utc(since), _utc(until)

    def build() -> Response:
        rows = views.register(store, scope.case_units, private=_private(operator), since=since, until=until)
        return _export(views.register_rows(rows, lang), views.REGISTER_HEADERS, lang, format,
                       ("矛盾纠纷台账", "Dispute register"), _zone(request))
    return await run_in_threadpool(build)


@router.get("/disputes/{case_id}", openapi_extra=PERSONAL_READ)
def dispute_detail(case_id: str, store: StoreDep, scope: ScopeDep, cases: CaseServiceDep,
                   operator: OperatorDep) -> dict[str, Any]:
    _case_in_scope(cases, case_id, scope)
    found = [r for r in views.register(store, None, private=_private(operator)) if r["case_id"] == case_id]
    if not found:
        raise _refusal(404, "no_dispute", "该案件未登记纠纷", "no dispute on this case")
    gradings = DisputeService(store, cases).gradings(case_id)
    return found[0] | {"gradings": [asdict(g) for g in gradings]}


@router.post("/disputes/{case_id}/grade")
def grade_dispute(case_id: str, body: GradeIn, request: Request, store: StoreDep, scope: ScopeDep,
                  cases: CaseServiceDep, operator: ActingOperatorDep) -> dict[str, Any]:
    """Register the dispute (type, parties, assessment) or re-grade it; the colour's plan applies (lead, time
    limit, informed) and the grading is logged with its reason."""
    _case_in_scope(cases, case_id, scope)
    person = acting_person(store, operator)
    parties = [p.model_dump(exclude_none=True) for p in body.parties] if body.parties is not None else None
    if parties is not None and any(len(p) != 1 for p in parties):
        raise _refusal(422, "bad_party", "当事人须为居民卡或文字之一", "a party is a card key or a text, one of them")
    try:
        graded = DisputeService(store, cases).grade(case_id, actor=person.id, reason=body.reason,
                                                    criteria=body.criteria, dispute_type=body.dispute_type,
                                                    parties=parties, operator_id=operator.id)
    except DisputeRefused as exc:
        raise _refusal(409, exc.code, exc.zh, exc.en) from None
    except (IllegalTransition, CaseConflict) as exc:
        raise _refusal(409, getattr(exc, "code", "conflict"), getattr(exc, "zh", str(exc)),
                       getattr(exc, "en", str(exc))) from None
    ring_jobs(request.app.state, "dispatch")
    return {"case_id": case_id, "colour": graded.dispute.colour, "lead": graded.dispute.lead,
            "informed": graded.dispute.informed, "informed_added": graded.informed_added,
            "deadline": graded.case.deadline, "time_limit_days": graded.dispute.time_limit_days}


@router.post("/disputes/{case_id}/outcome")
def dispute_outcome(case_id: str, body: DisputeOutcomeIn, store: StoreDep, scope: ScopeDep, cases: CaseServiceDep,
                    operator: ActingOperatorDep) -> dict[str, Any]:
    _case_in_scope(cases, case_id, scope)
    person = acting_person(store, operator)
    try:
        found = DisputeService(store, cases).record_outcome(case_id, body.outcome, agreement=body.agreement,
                                                            by=person.id)
    except DisputeRefused as exc:
        raise _refusal(409, exc.code, exc.zh, exc.en) from None
    return {"case_id": case_id, "outcome": found.outcome, "followup_due_at": found.followup_due_at}


@router.post("/disputes/{case_id}/followup-done")
def dispute_followup_done(case_id: str, store: StoreDep, scope: ScopeDep, cases: CaseServiceDep,
                          operator: ActingOperatorDep) -> dict[str, Any]:
    _case_in_scope(cases, case_id, scope)
    try:
        found = DisputeService(store, cases).followup_done(case_id)
    except DisputeRefused as exc:
        raise _refusal(409, exc.code, exc.zh, exc.en) from None
    return {"case_id": case_id, "followup_done_at": found.followup_done_at}


# -- home visits ---------------------------------------------------------------------------------------------------
@router.get("/visits", openapi_extra=PERSONAL_READ)
def visit_diary(store: StoreDep, scope: ScopeDep, operator: OperatorDep,
                grid: Annotated[str | None, Query(pattern=r"^[0-9]{6,18}$")] = None,
                since: AwareDatetime | None = None, until: AwareDatetime | None = None) -> list[dict[str, Any]]:
    """The visit diary (法律需求日记) in your scope, newest first, each visit with its service cases."""
    if grid is not None:
        scope.require_unit(grid)
    return views.visits(store, scope.case_units, private=_private(operator), grid_code=grid, since=_utc(since),
                        until=_utc(until))


@router.get("/visits/export", response_class=Response, openapi_extra=PERSONAL_READ,
            responses={200: {"content": {XLSX: {}, "text/csv": {}}, "description": "the visit diary"}})
async def visit_export(request: Request, store: StoreDep, scope: ScopeDep, operator: OperatorDep,
                       format: Literal["xlsx", "csv"] = "xlsx", lang: Literal["zh-CN", "en"] = "zh-CN",
                       grid: Annotated[str | None, Query(pattern=r"^[0-9]{6,18}$")] = None,
                       since: AwareDatetime | None = None, until: AwareDatetime | None = None) -> Response:
    if grid is not None:
        scope.require_unit(grid)
    since, until = _utc(since), _utc(until)

    def build() -> Response:
        rows = views.visits(store, scope.case_units, private=_private(operator), grid_code=grid, since=since,
                            until=until)
        return _export(views.visit_rows(rows, lang), views.VISIT_HEADERS, lang, format,
                       ("法律需求日记", "Visit diary"), _zone(request))
    return await run_in_threadpool(build)


__all__ = ["DISPUTE_OUTCOMES", "DISPUTE_TYPES", "router"]
