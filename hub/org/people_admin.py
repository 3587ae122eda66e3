"""People and their roles, managed by admins in the browser (``/api/people``, hub/api/people.py).

A person works in one unit (a grid, a building, a community, a street office...) with one role and may carry a
phone (a bound phone device): the phone is where their tasks go. An admin adds people, edits name, role, unit and
phone, and takes someone off duty (停用) or back: an inactive person keeps their id, name and every trail they are
in, but ``hub.org.repo.people_at`` no longer offers them for a new task. Nobody is deleted - cases, operators and
department contacts refer to people.

The API checks the scope (the person's unit, the new unit, the phone's binding); this module checks what holds
whoever asks: the unit exists, the phone is a bound phone, an id is not taken.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from datetime import datetime

import sqlalchemy as sa

from hub.org import people_repo
from hub.org import repo as org_repo
from hub.org.people_repo import InactiveMark
from hub.org.repo import Person
from hub.store.db import Database


class PeopleError(ValueError):
    def __init__(self, status: int, code: str, zh: str, en: str):
        super().__init__(en)
        self.status, self.code, self.zh, self.en = status, code, zh, en


@dataclass(frozen=True)
class PersonView:
    id: str
    name: str
    role: str
    unit_code: str
    unit_name: str | None
    phone_device_id: str | None
    devices: list[str]  # phones that reach them: their own and devices bound to them
    active: bool
    inactive_since: datetime | None = None
    inactive_reason: str = ""


def _views(conn: sa.Connection, persons: list[Person]) -> list[PersonView]:
    ids = [p.id for p in persons]
    marks = people_repo.marks(conn, ids)
    phones = org_repo.phones_of(conn, ids)
    names: dict[str, str | None] = {}
    for p in persons:
        if p.unit_code not in names:
            unit = org_repo.unit(conn, p.unit_code)
            names[p.unit_code] = unit.name if unit else None
    out = []
    for p in persons:
        mark = marks.get(p.id)
        out.append(PersonView(p.id, p.name, p.role, p.unit_code, names[p.unit_code], p.phone_device_id,
                              phones.get(p.id, []), mark is None, mark.since if mark else None,
                              mark.reason if mark else ""))
    return out


def list_people(db: Database, *, units_in: sa.Select[str] | None, unit_code: str | None = None,
                role: str | None = None, active: bool | None = None) -> list[PersonView]:
    with db.read() as conn:
        ids = people_repo.people_ids_listed(conn, units_in=units_in, unit_code=unit_code, role=role, active=active)
        found = org_repo.people_by_id(conn, ids)
        return _views(conn, [found[i] for i in ids if i in found])


def view(db: Database, person_id: str) -> PersonView | None:
    with db.read() as conn:
        p = org_repo.person(conn, person_id)
        return _views(conn, [p])[0] if p else None


def _check(conn: sa.Connection, person: Person) -> None:
    if org_repo.unit(conn, person.unit_code) is None:
        raise PeopleError(422, "unknown_unit", f"无此单元 {person.unit_code}", f"no unit {person.unit_code}")
    if person.phone_device_id:
        bound = people_repo.bound_device(conn, person.phone_device_id)
        if bound is None or bound[0] != "phone":
            raise PeopleError(422, "not_a_phone", f"{person.phone_device_id} 不是已登记的手机",
                              f"{person.phone_device_id} is not a registered phone")


def new_id() -> str:
    return f"p-{secrets.token_hex(5)}"


def add(db: Database, person: Person) -> PersonView:
    with db.write() as conn:
        if org_repo.person(conn, person.id) is not None:
            raise PeopleError(409, "taken", f"人员编号 {person.id} 已被使用", f"the id {person.id} is taken")
        _check(conn, person)
        org_repo.save_people(conn, [person])
    found = view(db, person.id)
    assert found is not None
    return found


def edit(db: Database, person_id: str, **changes: str | None) -> tuple[Person, PersonView]:
    """Apply ``changes`` (name, role, unit_code, phone_device_id); returns (before, after)."""
    with db.write() as conn:
        before = org_repo.person(conn, person_id)
        if before is None:
            raise PeopleError(404, "not_found", "无此人员", f"no person {person_id}")
        after = replace(before, **changes)  # type: ignore[arg-type]
        _check(conn, after)
        org_repo.save_people(conn, [after])
    found = view(db, person_id)
    assert found is not None
    return before, found


def set_active(db: Database, person_id: str, active: bool, *, by_operator: str, reason: str,
               now: datetime) -> PersonView:
    with db.write() as conn:
        if org_repo.person(conn, person_id) is None:
            raise PeopleError(404, "not_found", "无此人员", f"no person {person_id}")
        if active:
            people_repo.clear_inactive(conn, person_id)
        else:
            people_repo.mark_inactive(conn, InactiveMark(person_id, now, by_operator, reason.strip()[:200]))
    found = view(db, person_id)
    assert found is not None
    return found


@dataclass(frozen=True)
class UnitChoice:
    code: str
    level: str
    name: str
    parent_code: str | None


@dataclass(frozen=True)
class PhoneChoice:
    device_id: str
    unit_code: str
    owner_person_id: str | None
    owner_name: str | None


def choices(db: Database, within: str | None) -> tuple[list[UnitChoice], list[PhoneChoice]]:
    """The units of the subtree of ``within`` (None: all) and the phones bound in them, for the pickers."""
    with db.read() as conn:
        units = [UnitChoice(u.code, u.level, u.name, u.parent_code) for u in org_repo.units_listed(conn, within=within)]
        phones = [PhoneChoice(b.device_id, b.unit_code, b.owner_person_id, b.owner_name)
                  for b in org_repo.bindings_within(conn, within) if b.kind == "phone"]
    return units, sorted(phones, key=lambda p: p.device_id)
