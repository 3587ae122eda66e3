"""Who answers for a handling department (职能部门) at a unit: the contacts a category's cases also go to.

A category names its department (taxonomy ``department``, e.g. 物业服务企业 for a blocked fire lane); the
dispatcher informs that department's contact at the nearest unit up the case's chain that names one
(``hub.cases.recipients.department_people``). Contacts are people already in the hierarchy.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from hub.store.tables import department_contacts, people, units

from hub.org.repo import engine_of, write_tx


@dataclass(frozen=True)
class DepartmentContact:
    department: str
    unit_code: str
    person_id: str


def add_contact(store_or_engine: Any, department: str, unit_code: str, person_id: str) -> bool:
    """True if new. The unit and the person must exist; the person need not belong to that unit (a property
    company's manager serves several communities)."""
    department = department.strip()
    if not department or len(department) > 64:
        raise ValueError("department name must be 1-64 characters")
    with write_tx(engine_of(store_or_engine)) as conn:
        if conn.execute(sa.select(units.c.code).where(units.c.code == unit_code)).first() is None:
            raise ValueError(f"no unit {unit_code!r}")
        if conn.execute(sa.select(people.c.id).where(people.c.id == person_id)).first() is None:
            raise ValueError(f"no person {person_id!r}")
        key = (department_contacts.c.department == department, department_contacts.c.unit_code == unit_code,
               department_contacts.c.person_id == person_id)
        if conn.execute(sa.select(department_contacts.c.person_id).where(*key)).first() is not None:
            return False
        conn.execute(sa.insert(department_contacts), {"department": department, "unit_code": unit_code,
                                                      "person_id": person_id})
    return True


def remove_contact(store_or_engine: Any, department: str, unit_code: str, person_id: str) -> bool:
    with write_tx(engine_of(store_or_engine)) as conn:
        return bool(conn.execute(sa.delete(department_contacts).where(
            department_contacts.c.department == department, department_contacts.c.unit_code == unit_code,
            department_contacts.c.person_id == person_id)).rowcount)


def list_contacts(store_or_engine: Any, unit_code: str | None = None) -> list[DepartmentContact]:
    query = sa.select(department_contacts).order_by(department_contacts.c.unit_code, department_contacts.c.department,
                                                    department_contacts.c.person_id)
    if unit_code:
        query = query.where(department_contacts.c.unit_code.startswith(unit_code))
    with engine_of(store_or_engine).connect() as conn:
        return [DepartmentContact(r.department, r.unit_code, r.person_id) for r in conn.execute(query)]
