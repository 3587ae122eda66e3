"""Who answers for a handling department (职能部门) at a unit: the contacts a category's cases also go to.

A category names its department (taxonomy ``department``, e.g. 物业服务企业 for a blocked fire lane); the
dispatcher informs that department's contact at the nearest unit up the case's chain that names one
(``hub.cases.recipients.department_people``). Contacts are people already in the hierarchy.
"""
from __future__ import annotations

from hub.org.repo import (
    DepartmentContact,
    contact_exists,
    contacts_under,
    delete_contact,
    existing_unit_codes,
    insert_contact,
    person,
)
from hub.store.db import Database

__all__ = ["DepartmentContact", "add_contact", "list_contacts", "remove_contact"]


def add_contact(db: Database, department: str, unit_code: str, person_id: str) -> bool:
    """True if new. The unit and the person must exist; the person need not belong to that unit (a property
    company's manager serves several communities)."""
    department = department.strip()
    if not department or len(department) > 64:
        raise ValueError("department name must be 1-64 characters")
    contact = DepartmentContact(department, unit_code, person_id)
    with db.write() as conn:
        if not existing_unit_codes(conn, [unit_code]):
            raise ValueError(f"no unit {unit_code!r}")
        if person(conn, person_id) is None:
            raise ValueError(f"no person {person_id!r}")
        if contact_exists(conn, contact):
            return False
        insert_contact(conn, contact)
    return True


def remove_contact(db: Database, department: str, unit_code: str, person_id: str) -> bool:
    with db.write() as conn:
        return delete_contact(conn, DepartmentContact(department, unit_code, person_id))


def list_contacts(db: Database, unit_code: str | None = None) -> list[DepartmentContact]:
    with db.read() as conn:
        return contacts_under(conn, unit_code)
