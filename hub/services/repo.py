"""The one owner of the services tables (migration 0017): ``service_routes``, ``service_requests``,
``service_checkins``, ``dispute_criteria``, ``dispute_plans``, ``disputes``, ``dispute_gradings`` and
``home_visits``. Functions take the caller's connection so a service writes a case and its service rows in one
transaction; other domains' rows come through their owners (``hub.cases.repo``, ``hub.org.repo``)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from hub.store.tables import (
    dispute_criteria,
    dispute_gradings,
    dispute_plans,
    disputes,
    home_visits,
    service_checkins,
    service_requests,
    service_routes,
)


@dataclass(frozen=True, slots=True)
class ServiceRequest:
    case_id: str
    kind: str
    origin: str
    source_id: str
    visit_id: str | None
    unit_code: str | None
    community_code: str | None
    need_level: str | None
    routed_role: str | None
    routed_to: str | None
    resident_key: str | None
    created_at: datetime
    outcome: str | None
    outcome_at: datetime | None
    outcome_by: str | None


@dataclass(frozen=True, slots=True)
class Plan:
    colour: str
    lead_role: str
    informed_roles: list[str]
    visit_interval_days: int
    time_limit_days: int
    escalate_to: str | None


@dataclass(frozen=True, slots=True)
class Criterion:
    id: str
    colour: str
    label_zh: str
    label_en: str
    enabled: bool
    position: int


@dataclass(frozen=True, slots=True)
class Dispute:
    case_id: str
    dispute_type: str
    parties: list[dict[str, str]]
    criteria: list[str]
    colour: str
    lead: str | None
    informed: list[str]
    visit_interval_days: int
    time_limit_days: int
    escalate_to: str | None
    outcome: str | None
    agreement: str
    outcome_at: datetime | None
    followup_due_at: datetime | None
    followup_done_at: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Grading:
    id: int
    case_id: str
    from_colour: str | None
    to_colour: str
    reason: str
    actor: str
    at: datetime


@dataclass(frozen=True, slots=True)
class HomeVisit:
    id: str
    device_id: str
    worker: str | None
    grid_code: str | None
    building_code: str | None
    household_key: str | None
    met: str
    private_note: str
    needs: int
    visited_at: datetime
    received_at: datetime


# -- routes -------------------------------------------------------------------------------------------------------
def routes_for(conn: sa.Connection, unit_codes: Sequence[str]) -> dict[tuple[str, str], str | None]:
    """(unit, kind) → role for the given units (a unit chain)."""
    if not unit_codes:
        return {}
    rows = conn.execute(sa.select(service_routes.c.unit_code, service_routes.c.kind, service_routes.c.role)
                        .where(service_routes.c.unit_code.in_(list(unit_codes))))
    return {(r.unit_code, r.kind): r.role for r in rows}


def set_route(conn: sa.Connection, unit_code: str, kind: str, role: str | None, at: datetime, by: str) -> None:
    conn.execute(sa.delete(service_routes).where(service_routes.c.unit_code == unit_code,
                                                 service_routes.c.kind == kind))
    conn.execute(sa.insert(service_routes).values(unit_code=unit_code, kind=kind, role=role, updated_at=at,
                                                  updated_by=by))


def delete_route(conn: sa.Connection, unit_code: str, kind: str) -> bool:
    return conn.execute(sa.delete(service_routes).where(service_routes.c.unit_code == unit_code,
                                                        service_routes.c.kind == kind)).rowcount > 0


def routes_in(conn: sa.Connection, scope_units: sa.Select[str] | None) -> list[dict[str, Any]]:
    query = sa.select(service_routes).order_by(service_routes.c.unit_code, service_routes.c.kind)
    if scope_units is not None:
        query = query.where(service_routes.c.unit_code.in_(scope_units))
    return [dict(r._mapping) for r in conn.execute(query)]


# -- check-ins and requests ---------------------------------------------------------------------------------------
def checkin_taken(record_id: sa.ColumnElement[str]) -> sa.ColumnElement[bool]:
    """The check-in with this record id has been looked at by the service intake: for the records' owner."""
    return sa.exists(sa.select(service_checkins.c.record_id).where(service_checkins.c.record_id == record_id))


def visit_taken(record_id: sa.ColumnElement[str]) -> sa.ColumnElement[bool]:
    return sa.exists(sa.select(home_visits.c.id).where(home_visits.c.id == record_id))


def mark_checkin(conn: sa.Connection, record_id: str, outcome: str, case_id: str | None, at: datetime) -> None:
    if conn.execute(sa.select(service_checkins.c.record_id).where(service_checkins.c.record_id == record_id)).first():
        return
    conn.execute(sa.insert(service_checkins).values(record_id=record_id, outcome=outcome, case_id=case_id, at=at))


def insert_request(conn: sa.Connection, values: Mapping[str, Any]) -> bool:
    """False when the source already has its request (idempotent)."""
    if conn.execute(sa.select(service_requests.c.case_id)
                    .where(service_requests.c.source_id == values["source_id"])).first():
        return False
    conn.execute(sa.insert(service_requests).values(**values))
    return True


def request(conn: sa.Connection, case_id: str) -> ServiceRequest | None:
    row = conn.execute(sa.select(service_requests).where(service_requests.c.case_id == case_id)).first()
    return ServiceRequest(**row._mapping) if row else None


def request_by_source(conn: sa.Connection, source_id: str) -> ServiceRequest | None:
    row = conn.execute(sa.select(service_requests).where(service_requests.c.source_id == source_id)).first()
    return ServiceRequest(**row._mapping) if row else None


def requests_of_visits(conn: sa.Connection, visit_ids: Sequence[str]) -> dict[str, list[ServiceRequest]]:
    found: dict[str, list[ServiceRequest]] = {v: [] for v in visit_ids}
    if not visit_ids:
        return found
    for r in conn.execute(sa.select(service_requests).where(service_requests.c.visit_id.in_(list(visit_ids)))
                          .order_by(service_requests.c.source_id)):
        found[r.visit_id].append(ServiceRequest(**r._mapping))
    return found


def _in_scope(scope_units: sa.Select[str]) -> sa.ColumnElement[bool]:
    return sa.or_(service_requests.c.unit_code.in_(scope_units), service_requests.c.community_code.in_(scope_units))


def requests_in(conn: sa.Connection, scope_units: sa.Select[str] | None, *, kind: str | None = None,
                role: str | None = None, since: datetime | None = None, until: datetime | None = None,
                limit: int = 500) -> list[ServiceRequest]:
    query = sa.select(service_requests).order_by(service_requests.c.created_at.desc()).limit(limit)
    if scope_units is not None:
        query = query.where(_in_scope(scope_units))
    if kind:
        query = query.where(service_requests.c.kind == kind)
    if role:
        query = query.where(service_requests.c.routed_role == role)
    if since is not None:
        query = query.where(service_requests.c.created_at >= since)
    if until is not None:
        query = query.where(service_requests.c.created_at < until)
    return [ServiceRequest(**r._mapping) for r in conn.execute(query)]


def set_outcome(conn: sa.Connection, case_id: str, outcome: str, at: datetime, by: str) -> None:
    conn.execute(sa.update(service_requests).where(service_requests.c.case_id == case_id)
                 .values(outcome=outcome, outcome_at=at, outcome_by=by))


# -- disputes: criteria and plans ---------------------------------------------------------------------------------
def criteria(conn: sa.Connection) -> list[Criterion]:
    return [Criterion(**r._mapping) for r in conn.execute(
        sa.select(dispute_criteria).order_by(dispute_criteria.c.position, dispute_criteria.c.id))]


def save_criterion(conn: sa.Connection, values: Mapping[str, Any]) -> None:
    conn.execute(sa.delete(dispute_criteria).where(dispute_criteria.c.id == values["id"]))
    conn.execute(sa.insert(dispute_criteria).values(**values))


def plans(conn: sa.Connection) -> dict[str, Plan]:
    return {r.colour: Plan(r.colour, r.lead_role, list(r.informed_roles or []), r.visit_interval_days,
                           r.time_limit_days, r.escalate_to)
            for r in conn.execute(sa.select(dispute_plans))}


def save_plan(conn: sa.Connection, plan: Plan, at: datetime, by: str) -> None:
    conn.execute(sa.delete(dispute_plans).where(dispute_plans.c.colour == plan.colour))
    conn.execute(sa.insert(dispute_plans).values(
        colour=plan.colour, lead_role=plan.lead_role, informed_roles=list(plan.informed_roles),
        visit_interval_days=plan.visit_interval_days, time_limit_days=plan.time_limit_days,
        escalate_to=plan.escalate_to, updated_at=at, updated_by=by))


# -- disputes -----------------------------------------------------------------------------------------------------
def _dispute(r: Any) -> Dispute:
    values = dict(r._mapping)
    for key in ("parties", "criteria", "informed"):
        values[key] = list(values[key] or [])
    return Dispute(**values)


def dispute(conn: sa.Connection, case_id: str) -> Dispute | None:
    row = conn.execute(sa.select(disputes).where(disputes.c.case_id == case_id)).first()
    return _dispute(row) if row else None


def insert_dispute(conn: sa.Connection, values: Mapping[str, Any]) -> None:
    conn.execute(sa.insert(disputes).values(**values))


def update_dispute(conn: sa.Connection, case_id: str, values: Mapping[str, Any]) -> None:
    conn.execute(sa.update(disputes).where(disputes.c.case_id == case_id).values(**values))


def disputes_of(conn: sa.Connection, case_ids: Sequence[str]) -> dict[str, Dispute]:
    if not case_ids:
        return {}
    return {r.case_id: _dispute(r) for r in conn.execute(sa.select(disputes)
                                                         .where(disputes.c.case_id.in_(list(case_ids))))}


def open_disputes(conn: sa.Connection) -> list[Dispute]:
    return [_dispute(r) for r in conn.execute(sa.select(disputes).where(disputes.c.outcome.is_(None)))]


def dispute_ids(conn: sa.Connection, *, since: datetime | None = None, until: datetime | None = None,
                limit: int = 1000) -> list[str]:
    query = sa.select(disputes.c.case_id).order_by(disputes.c.created_at.desc()).limit(limit)
    if since is not None:
        query = query.where(disputes.c.created_at >= since)
    if until is not None:
        query = query.where(disputes.c.created_at < until)
    return list(conn.execute(query).scalars())


def insert_grading(conn: sa.Connection, case_id: str, from_colour: str | None, to_colour: str, reason: str,
                   actor: str, at: datetime) -> None:
    conn.execute(sa.insert(dispute_gradings).values(case_id=case_id, from_colour=from_colour, to_colour=to_colour,
                                                    reason=reason, actor=actor, at=at))


def gradings(conn: sa.Connection, case_id: str) -> list[Grading]:
    return [Grading(**r._mapping) for r in conn.execute(
        sa.select(dispute_gradings).where(dispute_gradings.c.case_id == case_id).order_by(dispute_gradings.c.id))]


# -- home visits --------------------------------------------------------------------------------------------------
def insert_visit(conn: sa.Connection, values: Mapping[str, Any]) -> bool:
    if conn.execute(sa.select(home_visits.c.id).where(home_visits.c.id == values["id"])).first():
        return False
    conn.execute(sa.insert(home_visits).values(**values))
    return True


def visit(conn: sa.Connection, visit_id: str) -> HomeVisit | None:
    row = conn.execute(sa.select(home_visits).where(home_visits.c.id == visit_id)).first()
    return HomeVisit(**row._mapping) if row else None


def visits_in(conn: sa.Connection, scope_units: sa.Select[str] | None, *, grid_code: str | None = None,
              since: datetime | None = None, until: datetime | None = None, limit: int = 1000) -> list[HomeVisit]:
    query = sa.select(home_visits).order_by(home_visits.c.visited_at.desc()).limit(limit)
    if scope_units is not None:
        query = query.where(home_visits.c.grid_code.in_(scope_units))
    if grid_code:
        query = query.where(home_visits.c.grid_code == grid_code)
    if since is not None:
        query = query.where(home_visits.c.visited_at >= since)
    if until is not None:
        query = query.where(home_visits.c.visited_at < until)
    return [HomeVisit(**r._mapping) for r in conn.execute(query)]
