"""Cases (案件) for the dashboard: list and filter, one case with its deadline and time left, its audit
trail, what an actor may do next, and the transitions themselves (CaseService does the work; dispatch of
tasks to devices follows from the case events it writes).

Who acts is the signed-in operator's linked person (:func:`acting_person`): the audit trail names a person
id, as device actions do, and the account (``operator_id``). Lists are limited to the operator's subtree; a case
outside it is 404. Ids inside a transition are checked against the scope too: the assignee must be a person in
the subtree (told when they have no phone the task can reach), each evidence item a stored photo the operator
can already see - citing a photo never shows it to anyone new. Viewers read only. Reads of one case (detail,
trail) are written to the access log.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict
from datetime import datetime, time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request

from hub.api.case_filters import CaseQueryDep
from hub.api.deps import StoreDep
from hub.api.schemas import (
    AllowedOut,
    AllowedTransition,
    AmbiguousLookupOut,
    CaseEventOut,
    CaseListItem,
    CaseMatchOut,
    CaseOut,
    CasePage,
    EscalationOut,
    IllegalTransitionOut,
    NoticeOut,
    PersonRef,
    TransitionIn,
)
from hub.auth.access_log import PERSONAL_READ, note_access
from hub.auth.http import ActingOperatorDep, OperatorDep, ScopeDep, acting_person_id
from hub.auth.operators import Operator
from hub.auth.scope import OperatorScope
from hub.cases import CaseConflict, CaseService, IllegalTransition, states, views_repo
from hub.followup.service import FollowupService
from hub.jobs.wakeup import ring_jobs
from hub.org import repo as org_repo
from hub.org.calendar import WorkCalendar
from hub.org.repo import Person
from hub.store import CursorError, HubStore
from protocol.labels import state_label

router = APIRouter(prefix="/cases", tags=["cases"])

LIVE = tuple(states.OPEN)  # the deadline clock runs (suspended: stopped)


def _refusal(status: int, code: str, zh: str, en: str) -> HTTPException:
    return HTTPException(status, detail={"code": code, "zh": zh, "en": en})


def _person(store: HubStore, person_id: str) -> Person | None:
    with store.read() as conn:
        return org_repo.person(conn, person_id)


def acting_person(store: HubStore, operator: Operator) -> Person:
    """The person the signed-in operator acts as (403 when an admin has not linked one)."""
    person = _person(store, acting_person_id(operator))
    if person is None:  # the foreign key keeps this from happening; say so clearly if it ever does
        raise _refusal(403, "no_person", "账号关联的人员不存在", f"linked person {operator.person_id!r} not found")
    return person


def get_case_service(request: Request, store: StoreDep) -> CaseService:
    # A deployment may configure one (calendar, level policy) on app.state; otherwise the defaults.
    configured = getattr(request.app.state, "case_service", None)
    return configured if configured is not None else CaseService(store, clock=store.clock)


CaseServiceDep = Annotated[CaseService, Depends(get_case_service)]


# -- reads --------------------------------------------------------------------------------------------
def _people_refs(store: HubStore, ids: set[str]) -> dict[str, PersonRef]:
    with store.read() as conn:
        found = org_repo.people_by_id(conn, ids)
    return {p.id: PersonRef(id=p.id, name=p.name, role=p.role) for p in found.values()}


def _escalation(m: Mapping[str, Any], events: list | None) -> EscalationOut | None:
    # Columns of the escalation work (.get: the API does not depend on them being there).
    level, at = m.get("escalation_level"), m.get("escalated_at")
    trail = [{"seq": e.seq, "at": e.at, "actor": e.actor, "reason": e.reason, "note": e.note}
             for e in events or () if e.transition == "escalate"]
    if not trail and not level:
        return None
    return EscalationOut(level=level, at=at, events=trail)


def case_out(m: Mapping[str, Any], *, now: datetime, calendar: WorkCalendar, refs: dict[str, PersonRef],
             events: list | None = None, model: type[CaseOut] = CaseOut,
             working_to: Callable[[datetime], float] | None = None, **extra: Any) -> CaseOut:
    """``working_to``: working seconds from ``now`` to a deadline, when the caller worked them out for a whole page
    (:func:`working_seconds_to`); ``model`` and ``extra``: a CaseOut subclass and its own fields."""
    deadline = m["deadline"]
    remaining = working = None
    if deadline is not None and m["state"] in LIVE:
        remaining = (deadline - now).total_seconds()
        working = (working_to(deadline) if working_to else
                   calendar.working_time_between(now, deadline).total_seconds())
    assignee = m["assignee"]
    return model(
        **{k: m[k] for k in ("id", "state", "suspended_from", "category_code", "title", "note", "level", "grid_code",
                             "community_code", "lat", "lon", "accuracy_m", "flagged_for_review", "route_reason",
                             "report_count", "source_record_id", "resolver", "filed_at", "deadline",
                             "suspended_at", "closed_at", "created_at", "updated_at", "version")},
        **{k: m.get(k) for k in ("reference", "receipt_code", "severity", "route_candidates", "merged_into",
                                 "alarm_at", "alarm_acked_at")},
        source=m.get("source") or "device",
        state_zh=state_label(m["state"]),
        assignee=refs.get(assignee, PersonRef(id=assignee, name=None, role=None)) if assignee else None,
        overdue=remaining is not None and remaining < 0, remaining_s=remaining, remaining_working_s=working,
        escalation=_escalation(m, events), **extra)


def working_seconds_to(calendar: WorkCalendar, now: datetime,
                       deadlines: Iterable[datetime]) -> Callable[[datetime], float]:
    """Working seconds from ``now`` to each of a page's deadlines, the calendar walked once for the page: to each
    deadline's local midnight by adding up the stretches between consecutive midnights, then the part of its day.
    (Working time adds up over adjacent stretches, signed: W(a, c) = W(a, b) + W(b, c).) A list of cases overdue
    for months would otherwise walk the same days again for every row."""
    def midnight(t: datetime) -> datetime:
        return datetime.combine(t.astimezone(calendar.tz).date(), time(), calendar.tz)

    days = sorted({midnight(d) for d in deadlines})
    to_midnight: dict[datetime, float] = {}
    before, total = now, 0.0
    for day in days:
        total += calendar.working_time_between(before, day).total_seconds()
        to_midnight[day], before = total, day

    def working_to(deadline: datetime) -> float:
        day = midnight(deadline)
        if day not in to_midnight:
            return calendar.working_time_between(now, deadline).total_seconds()
        return to_midnight[day] + calendar.working_time_between(day, deadline).total_seconds()
    return working_to


def _detail(store: HubStore, service: CaseService, case_id: str, scope: OperatorScope) -> CaseOut:
    with store.read() as conn:
        m = views_repo.case_mapping(conn, case_id)
    if m is None:
        raise HTTPException(404, f"no case {case_id}")
    scope.require_unit(m["grid_code"] or m["community_code"])
    refs = _people_refs(store, {m["assignee"]} - {None})
    return case_out(m, now=service.clock(), calendar=service.calendar, refs=refs, events=service.events(case_id))


ListOrder = Literal["newest", "oldest", "deadline", "level", "overdue_first"]
NAMES = ("category_zh", "category_en", "grid_name", "community_name")


@router.get("", response_model=CasePage, responses={422: {"description": "a bad filter value or cursor"}})
def list_cases(
    store: StoreDep,
    service: CaseServiceDep,
    scope: ScopeDep,
    query: CaseQueryDep,
    order: Annotated[ListOrder, Query(description="newest | oldest | deadline (nearest first, none last) | level "
                                      "(red, yellow, blue; each oldest first) | overdue_first (offset paging)")
                     ] = "newest",
    cursor: Annotated[str | None, Query(max_length=200, description="next_cursor of the page before")] = None,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    count: Annotated[bool, Query(description="work out total (false: skip it, e.g. for the next pages)")] = True,
) -> CasePage:
    """Cases in your subtree matching all filters; repeat ``state`` / ``level`` / ``category`` / ``source`` for
    several values. Presets are filter combinations: overdue = ``overdue=true&order=deadline``, needs review =
    ``flagged=true&state=reported``. Page on with ``cursor`` = ``next_cursor`` (new cases never shift it); ``offset``
    still works. Each row carries the names the list shows (category, grid, community, assignee)."""
    if cursor and offset:
        raise _refusal(422, "cursor_and_offset", "cursor 与 offset 不能同时使用", "give cursor or offset, not both")
    now = service.clock()
    try:
        with store.read() as conn:
            page = views_repo.find_cases(conn, query, now=now, live=LIVE, order=order, limit=limit, offset=offset,
                                         cursor=cursor, count=count, scope_units=scope.case_units)
    except CursorError:
        raise _refusal(422, "bad_cursor", "翻页游标无效（请从第一页重新查询）",
                       "invalid cursor: it must be the next_cursor of a page with the same order") from None
    refs = _people_refs(store, {r["assignee"] for r in page.rows} - {None})
    working_to = working_seconds_to(service.calendar, now, [r["deadline"] for r in page.rows
                                                            if r["deadline"] is not None and r["state"] in LIVE])
    followups = FollowupService(store, service).status_of([r["id"] for r in page.rows])  # 回访 after closing
    items = [case_out(r, now=now, calendar=service.calendar, refs=refs, model=CaseListItem, working_to=working_to,
                      followup=followups.get(r["id"]), **{k: r.get(k) for k in NAMES}) for r in page.rows]
    return CasePage(items=items, total=page.total, total_estimate=page.total_estimate, offset=offset, limit=limit,
                    order=order, next_cursor=page.next_cursor)


@router.get("/lookup", response_model=CaseOut, openapi_extra=PERSONAL_READ, responses={
    404: {"description": "nothing in your scope answers to it"},
    409: {"model": AmbiguousLookupOut, "description": "several cases in your scope share the receipt code: detail = "
                                                     "{code, zh, en, matches}"}})
def lookup_case(q: Annotated[str, Query(min_length=1, max_length=64, description="a reference (FS-20261204-0042, "
                                        "any case, dashes optional), the kiosk's receipt code (6 hex digits, "
                                        "\"编号 899de7\"), a case id or a report's record id")],
                request: Request, store: StoreDep, service: CaseServiceDep, scope: ScopeDep) -> CaseOut:
    """The one case a number someone quotes names. A resident reads out what the kiosk showed; the operator types
    it here and gets the case (with its reference), or 409 with the choices when several share a receipt code."""
    with store.read() as conn:
        found = views_repo.lookup_cases(conn, q, scope_units=scope.case_units)
    if not found:
        raise _refusal(404, "not_found", f"未找到编号为 {q.strip()} 的案件", f"no case in your scope answers to "
                       f"{q.strip()!r}")
    if len(found) > 1:
        matches = [CaseMatchOut(**{k: m[k] for k in CaseMatchOut.model_fields if k != "state_zh"},
                                state_zh=state_label(m["state"])) for m in found]
        raise HTTPException(409, detail=AmbiguousLookupOut(
            code="ambiguous", zh=f"有 {len(found)} 个案件使用编号 {q.strip()}，请按案件编号选择",
            en=f"{len(found)} cases answer to {q.strip()!r}: pick one by its reference",
            matches=matches).model_dump(mode="json"))
    note_access(request, case_id=found[0]["id"])
    return _detail(store, service, found[0]["id"], scope)


def _case_in_scope(service: CaseService, case_id: str, scope: OperatorScope):
    case = service.get(case_id)
    if case is None:
        raise HTTPException(404, f"no case {case_id}")
    scope.require_case(case)
    return case


@router.get("/{case_id}", response_model=CaseOut, openapi_extra=PERSONAL_READ,
            responses={404: {"description": "no such case (or outside your scope)"}})
def get_case(case_id: str, store: StoreDep, service: CaseServiceDep, scope: ScopeDep) -> CaseOut:
    return _detail(store, service, case_id, scope)


@router.get("/{case_id}/events", response_model=list[CaseEventOut], openapi_extra=PERSONAL_READ)
def case_events_trail(case_id: str, service: CaseServiceDep, scope: ScopeDep) -> list[CaseEventOut]:
    """The append-only audit trail, in order (rejected device actions included, marked ``rejected``)."""
    _case_in_scope(service, case_id, scope)
    return [CaseEventOut(**{k: v for k, v in asdict(e).items() if k in CaseEventOut.model_fields})
            for e in service.events(case_id)]


def _needs(transition: str) -> list[str]:
    needs = ["reason"] if transition in states.REASON_REQUIRED else []
    if transition in ("dispatch", "reassign"):
        needs.append("assignee")
    if transition == "resolve":
        needs += ["evidence", "note", "position"]
    elif transition in ("note", "auto_resolve"):
        needs.append("note")
    return needs


@router.get("/{case_id}/allowed", response_model=AllowedOut)
def allowed_transitions(case_id: str, operator: OperatorDep, store: StoreDep, service: CaseServiceDep,
                        scope: ScopeDep) -> AllowedOut:
    """What you may do to the case now, by state, your person's role and assignment (reason/evidence still
    needed). A viewer may do nothing; an account with no linked person gets 403 saying so."""
    case = _case_in_scope(service, case_id, scope)
    if operator.role == "viewer":
        return AllowedOut(case_id=case.id, state=case.state, version=case.version, actor=None, transitions=[])
    actor = acting_person(store, operator)
    ctx = states.Context(actor=actor.id, role=actor.role)
    possible = [t for t in states.allowed(case.machine_state, ctx) if t not in states.REOPENING]  # by 回访 only
    if "verify" in possible and service.resolving_account(case.id) == operator.id:
        possible.remove("verify")  # this account resolved it: another account verifies
    options = [AllowedTransition(transition=t, zh=states.TRANSITIONS[t].zh, needs=_needs(t)) for t in possible]
    return AllowedOut(case_id=case.id, state=case.state, version=case.version,
                      actor=PersonRef(id=actor.id, name=actor.name, role=actor.role), transitions=options)


def _check_body_ids(body: TransitionIn, store: HubStore, scope: OperatorScope) -> None:
    """The ids a transition names must be the operator's to name (422 with the reason otherwise)."""
    if body.assignee is not None and scope.person(body.assignee) is None:
        raise _refusal(422, "assignee_out_of_scope", f"人员 {body.assignee} 不存在或不在您的管辖范围内",
                       f"no person {body.assignee!r} in your scope to assign")
    if body.category_code is not None and body.transition != "file":
        raise _refusal(422, "category_not_allowed", "只有立案时可以更改类别",
                       "category_code may only be given when filing (file)")
    for sha in dict.fromkeys(body.evidence):
        photo = store.get_photo(sha)
        if photo is None or not scope.sees_photo(photo):
            raise _refusal(422, "unknown_evidence", f"证据照片 {sha} 不存在或您无权查看",
                           f"evidence {sha} is not a stored photo you can see (upload it first, from a device "
                           "in your scope)")


def _notices(store: HubStore, body: TransitionIn) -> list[NoticeOut]:
    """What the operator is told about an applied step: an assignee no phone of theirs can be reached on gets
    no task on a terminal (the hub sends handler tasks to the assignee's phones)."""
    if body.transition not in ("dispatch", "reassign") or body.assignee is None:
        return []
    with store.read() as conn:
        phones = org_repo.phones_of(conn, [body.assignee]).get(body.assignee, [])
    if phones:
        return []
    return [NoticeOut(code="assignee_unreachable",
                      zh=f"已派给 {body.assignee}，但其未绑定手机，任务无法推送到终端，请电话或当面通知",
                      en=f"assigned to {body.assignee}, who has no bound phone: the task cannot reach a terminal, "
                         "so tell them by phone or in person")]


@router.post("/{case_id}/transitions", response_model=CaseOut, responses={
    404: {"description": "no such case"},
    409: {"description": "the case changed since expected_version"},
    422: {"model": IllegalTransitionOut, "description": "refused by the rules, or an id in the body is not yours "
                                                         "to name: detail = {code, zh, en}"}})
def post_transition(case_id: str, body: TransitionIn, operator: ActingOperatorDep, store: StoreDep,
                    service: CaseServiceDep, scope: ScopeDep, request: Request) -> CaseOut:
    """Apply one transition as your linked person; the updated case comes back (its ``version`` went up by one),
    with ``notices`` for what you should know (e.g. an assignee without a phone)."""
    _case_in_scope(service, case_id, scope)
    actor = acting_person(store, operator)
    _check_body_ids(body, store, scope)
    if body.transition == "reopen":  # only a follow-up's 不满意 reopens, so the follow-up records why (hub/followup)
        raise _refusal(422, "reopen_by_followup", "结案后返工须通过回访登记“不满意”",
                       "a closed case reopens only by a dissatisfied follow-up: POST /api/cases/{id}/followup/call")
    position = (body.position.lat, body.position.lon, body.position.accuracy_m) if body.position else None
    try:
        service.transition(case_id, body.transition, actor.id, assignee=body.assignee, reason=body.reason,
                           note=body.note, evidence=body.evidence, position=position,
                           category_code=body.category_code, origin="api", expected_version=body.expected_version,
                           operator_id=operator.id)
    except IllegalTransition as refused:
        raise _refusal(422, refused.code, refused.zh, refused.en) from None
    except CaseConflict as conflict:
        raise _refusal(409, "version_conflict", "案件已被他人更新，请刷新后重试", str(conflict)) from None
    ring_jobs(request.app.state, "dispatch")  # the new event reaches the devices now, not at the next poll
    if body.transition == "close":
        ring_jobs(request.app.state, "followup")  # 回访: its round and the kiosks' prompts now, not at the next poll
    return _detail(store, service, case_id, scope).model_copy(update={"notices": _notices(store, body)})
