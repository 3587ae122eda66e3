"""Who gets a case's task, in which role: lookups over the org tables for one case row.

    handler   the assignee's phone(s), from dispatch until the case closes
    informed  the grid's kiosk(s) and the category's department contact(s) from dispatch on (派遣 → 结案);
              the people, and unowned devices, of every unit the case has been escalated to
              (grid → community → … → city)
    verifier  while resolved: the grid leader, or - when they resolved it themselves - the nearest unit's
              dispatchers / supervisors (核查人不能是处置人)

A device that qualifies twice keeps its strongest role (handler > verifier > informed).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from hub.org.taxonomy import Category
from hub.store.tables import department_contacts, device_bindings, people, units

from hub.cases import states
from hub.cases.rows import CaseRow

ESCALATION_CHAIN = ("grid", "community", "street", "district", "city")
ROLE_RANK = {"handler": 0, "verifier": 1, "informed": 2}


@dataclass(frozen=True)
class Recipient:
    device_id: str
    role: str  # handler | verifier | informed
    person_id: str | None  # None: a kiosk
    reason: str  # assignee | grid_kiosk | department | verifier | escalation


@dataclass(frozen=True)
class ChainUnit:
    code: str
    level: str
    name: str


def unit_chain(conn: sa.Connection, code: str | None) -> list[ChainUnit]:
    """The unit and its ancestors, bottom first (grid, community, street, district, city)."""
    chain: list[ChainUnit] = []
    seen: set[str] = set()
    while code and code not in seen:  # seen: a parent cycle in bad data must not loop forever
        seen.add(code)
        row = conn.execute(sa.select(units.c.code, units.c.level, units.c.name, units.c.parent_code)
                           .where(units.c.code == code)).first()
        if row is None:
            break
        chain.append(ChainUnit(row.code, row.level, row.name))
        code = row.parent_code
    return chain


def case_chain(conn: sa.Connection, case: CaseRow) -> list[ChainUnit]:
    return unit_chain(conn, case.grid_code or case.community_code)


def phones_of(conn: sa.Connection, person_ids: Iterable[str]) -> dict[str, list[str]]:
    """person → their phone device ids (``people.phone_device_id`` and phones bound to them)."""
    ids = sorted(set(person_ids))
    found: dict[str, set[str]] = {p: set() for p in ids}
    if not ids:
        return {}
    for pid, phone in conn.execute(sa.select(people.c.id, people.c.phone_device_id).where(people.c.id.in_(ids))):
        if phone:
            found[pid].add(phone)
    for pid, device in conn.execute(sa.select(device_bindings.c.owner_person_id, device_bindings.c.device_id).where(
            device_bindings.c.owner_person_id.in_(ids), device_bindings.c.kind == "phone")):
        found[pid].add(device)
    return {pid: sorted(devices) for pid, devices in found.items()}


def device_owner(conn: sa.Connection, device_id: str) -> str | None:
    """The person a device belongs to: its binding's owner, else whoever lists it as their phone."""
    owner = conn.execute(sa.select(device_bindings.c.owner_person_id)
                         .where(device_bindings.c.device_id == device_id)).scalar()
    if owner:
        return owner
    return conn.execute(sa.select(people.c.id).where(people.c.phone_device_id == device_id)
                        .order_by(people.c.id).limit(1)).scalar()


def person_roles(conn: sa.Connection, person_ids: Iterable[str]) -> dict[str, str]:
    ids = sorted(set(person_ids))
    if not ids:
        return {}
    return dict(conn.execute(sa.select(people.c.id, people.c.role).where(people.c.id.in_(ids))).all())


def people_at(conn: sa.Connection, unit_code: str, roles: Iterable[str] | None = None) -> list[str]:
    query = sa.select(people.c.id).where(people.c.unit_code == unit_code).order_by(people.c.id)
    if roles is not None:
        query = query.where(people.c.role.in_(sorted(roles)))
    return list(conn.execute(query).scalars())


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


def department_people(conn: sa.Connection, department: str, chain: list[ChainUnit]) -> list[str]:
    """The department's contact(s) at the nearest unit that names one (the community's property company
    before the district's fire station)."""
    for unit in chain:
        found = list(conn.execute(sa.select(department_contacts.c.person_id).where(
            department_contacts.c.department == department, department_contacts.c.unit_code == unit.code)
            .order_by(department_contacts.c.person_id)).scalars())
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


def unit_devices(conn: sa.Connection, unit_codes: list[str]) -> list[str]:
    """Devices bound to these units with no owner (a community office's kiosk or tablet)."""
    if not unit_codes:
        return []
    return list(conn.execute(sa.select(device_bindings.c.device_id).where(
        device_bindings.c.unit_code.in_(unit_codes), device_bindings.c.owner_person_id.is_(None))
        .order_by(device_bindings.c.device_id)).scalars())


def kiosks_of(conn: sa.Connection, grid_code: str | None) -> list[str]:
    if not grid_code:
        return []
    return list(conn.execute(sa.select(device_bindings.c.device_id).where(
        device_bindings.c.unit_code == grid_code, device_bindings.c.kind == "kiosk")
        .order_by(device_bindings.c.device_id)).scalars())


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
        for device in phones.get(person, []):
            offer(Recipient(device, role, person, reason))
    for device in kiosks:
        offer(Recipient(device, "informed", None, "grid_kiosk"))
    for device in unit_devices(conn, escalated_units(case, chain)):
        offer(Recipient(device, "informed", None, "escalation"))
    return result
