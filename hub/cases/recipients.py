"""Who gets a case's task, in which role: lookups over the org tables for one case row.

    handler   the assignee's phone(s), from dispatch until the case closes
    informed  the grid's kiosk(s) and the category's department contact(s) from dispatch on (派遣 → 结案), and
              the people another domain's provider names (INFORMED_PROVIDERS: a dispute's plan, hub/services);
              the people, and unowned devices, of every unit the case has been escalated to
              (grid → community → … → city)
    verifier  while resolved: the grid leader, or - when they resolved it themselves - the nearest unit's
              dispatchers / supervisors (核查人不能是处置人)

A device that qualifies twice keeps its strongest role (handler > verifier > informed).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

from hub.cases import states
from hub.cases.rows import CaseRow
from hub.org.repo import (
    ChainUnit,
    department_people,
    device_owner,
    kiosks_of,
    people_at,
    person_roles,
    phones_of,
    unit_chain,
    unowned_devices,
)
from hub.org.taxonomy import Category

__all__ = ["ESCALATION_CHAIN", "ChainUnit", "Recipient", "case_chain", "department_people", "device_owner",
           "grid_leader", "person_roles", "recipients", "unit_chain"]

ESCALATION_CHAIN = ("grid", "community", "street", "district", "city")
ROLE_RANK = {"handler": 0, "verifier": 1, "informed": 2}
# Other domains add the people they inform about a case without hub.cases importing them (hub/services: the people a
# dispute's plan per colour informs, reason "plan"): each provider gives person ids for one case, from dispatch on.
InformedProvider = Callable[[sa.Connection, CaseRow], list[str]]
INFORMED_PROVIDERS: list[InformedProvider] = []


@dataclass(frozen=True)
class Recipient:
    device_id: str
    role: str  # handler | verifier | informed
    person_id: str | None  # None: a kiosk
    reason: str  # assignee | grid_kiosk | department | verifier | escalation


def case_chain(conn: sa.Connection, case: CaseRow) -> list[ChainUnit]:
    return unit_chain(conn, case.grid_code or case.community_code)


def grid_leader(conn: sa.Connection, grid_code: str | None) -> str | None:
    leaders = people_at(conn, grid_code, ["grid_leader"]) if grid_code else []
    return leaders[0] if leaders else None


def verifier_candidates(conn: sa.Connection, case: CaseRow, chain: list[ChainUnit]) -> list[str]:
    """The nearest unit's people who may verify and did not resolve it; grid level: its grid leader(s)."""
    for unit in chain:
        roles = ["grid_leader"] if unit.level == "grid" else sorted(states.DISPATCH_ROLES)
        found = [p for p in people_at(conn, unit.code, roles) if p != case.resolver]
        if found:
            return found
    return []


def escalated_units(case: CaseRow, chain: list[ChainUnit]) -> list[str]:
    """The units above the grid up to the case's escalation level."""
    if not case.escalation_level or case.escalation_level not in ESCALATION_CHAIN:
        return []
    top = ESCALATION_CHAIN.index(case.escalation_level)
    return [u.code for u in chain
            if u.level != "grid" and u.level in ESCALATION_CHAIN and ESCALATION_CHAIN.index(u.level) <= top]


def escalated_people(conn: sa.Connection, case: CaseRow, chain: list[ChainUnit]) -> list[str]:
    return [p for code in escalated_units(case, chain) for p in people_at(conn, code)]


def recipients(conn: sa.Connection, case: CaseRow, category: Category | None) -> dict[str, Recipient]:
    """device id → the task it should currently hold for this case (empty once the case is over)."""
    if case.state in states.TERMINAL:
        return {}
    state = case.suspended_from if case.state == "suspended" else case.state
    chain = case_chain(conn, case)
    wanted: list[tuple[str | None, str, str]] = []  # (person or None for a kiosk device, role, reason)
    kiosks: list[str] = []
    if state in states.ASSIGNED:
        if case.assignee:
            wanted.append((case.assignee, "handler", "assignee"))
        kiosks = kiosks_of(conn, case.grid_code)
        if category is not None and category.department:
            wanted += [(p, "informed", "department") for p in department_people(conn, category.department, chain)]
        wanted += [(p, "informed", "plan") for provider in INFORMED_PROVIDERS for p in provider(conn, case)]
    if state == "resolved":
        wanted += [(p, "verifier", "verifier") for p in verifier_candidates(conn, case, chain)]
    wanted += [(p, "informed", "escalation") for p in escalated_people(conn, case, chain)]

    result: dict[str, Recipient] = {}

    def offer(candidate: Recipient) -> None:
        held = result.get(candidate.device_id)
        if held is None or ROLE_RANK[candidate.role] < ROLE_RANK[held.role]:
            result[candidate.device_id] = candidate

    phones = phones_of(conn, [p for p, _, _ in wanted if p])
    for person, role, reason in wanted:
        for device in phones.get(person, []) if person else []:
            offer(Recipient(device, role, person, reason))
    for device in kiosks:
        offer(Recipient(device, "informed", None, "grid_kiosk"))
    for device in unowned_devices(conn, escalated_units(case, chain)):
        offer(Recipient(device, "informed", None, "escalation"))
    return result
