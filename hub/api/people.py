"""People and roles (人员与角色), for admins: ``/api/people``.

An admin lists, adds and edits the people of their own subtree (by the unit hierarchy) and takes them off duty or
back (hub/org/people_admin.py says what that means). Every id named is checked against the scope: the person (404
outside, as if absent), the unit in the body (403: you cannot place someone outside your subtree) and the phone (a
phone bound outside the scope is refused as if unknown). Each change is in the access log with the person and,
for edits, the fields before and after.
"""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from hub.api.deps import StoreDep
from hub.auth.access_log import note_access
from hub.auth.http import AdminDep, ScopeDep, admin_operator
from hub.auth.scope import OperatorScope, not_found
from hub.org import people_admin
from hub.org.people_admin import PeopleError, PersonView
from hub.org.repo import Person
from hub.store.vocabulary import PERSON_ROLES

router = APIRouter(prefix="/people", tags=["people"], dependencies=[Depends(admin_operator)])

Role = Literal[PERSON_ROLES]  # type: ignore[valid-type]  # the values come from the one vocabulary
PERSON_ID = r"^[A-Za-z0-9_.-]{1,64}$"
UNIT_CODE = r"^\d{6,18}$"
DEVICE_ID = r"^[a-z0-9][a-z0-9_\-]{2,63}$"


class PersonOut(BaseModel):
    id: str
    name: str
    role: str
    unit_code: str
    unit_name: str | None
    phone_device_id: str | None
    devices: list[str] = Field(description="phones their tasks reach (their own and devices bound to them)")
    active: bool = Field(description="false: off duty (停用) - kept in every trail, offered no new task")
    inactive_since: datetime | None
    inactive_reason: str

    @classmethod
    def of(cls, v: PersonView) -> PersonOut:
        return cls.model_validate(v, from_attributes=True)


class PersonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str | None = Field(default=None, pattern=PERSON_ID, description="omit to have one made (p-…)")
    name: str = Field(min_length=1, max_length=64)
    role: Role
    unit_code: str = Field(pattern=UNIT_CODE, description="a unit inside your scope (grid, building, community…)")
    phone_device_id: str | None = Field(default=None, pattern=DEVICE_ID, description="a phone bound in your scope")


class PersonPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, min_length=1, max_length=64)
    role: Role | None = None
    unit_code: str | None = Field(default=None, pattern=UNIT_CODE)
    phone_device_id: str | None = Field(default=None, pattern=DEVICE_ID, description='"" is not allowed: use '
                                        'clear_phone to remove the phone')
    clear_phone: bool = False


class DeactivateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(default="", max_length=200, examples=["调离 / moved away"])


def _refused(exc: PeopleError) -> HTTPException:
    return HTTPException(exc.status, {"code": exc.code, "zh": exc.zh, "en": exc.en})


def _in_scope(scope: OperatorScope, person_id: str) -> None:
    if scope.person(person_id) is None:
        raise not_found()


def _check_unit(scope: OperatorScope, unit_code: str) -> None:
    if not scope.sees_unit(unit_code):
        raise HTTPException(403, {"code": "outside_scope", "zh": "不能把人员放到本人管辖范围以外的单元",
                                  "en": "you may only place people in units inside your scope"})


def _check_phone(scope: OperatorScope, device_id: str | None) -> None:
    if device_id is not None and not scope.sees_device(device_id):
        raise HTTPException(422, {"code": "not_a_phone", "zh": f"{device_id} 不是已登记的手机",
                                  "en": f"{device_id} is not a registered phone"})


@router.get("", response_model=list[PersonOut])
def list_people(store: StoreDep, scope: ScopeDep,
                unit: Annotated[str | None, Query(pattern=UNIT_CODE, description="only this unit")] = None,
                role: Role | None = None,
                active: Annotated[bool | None, Query(description="true: on duty only; false: off duty only")] = None,
                ) -> list[PersonOut]:
    """The people of your subtree, by unit then id (at most 2000)."""
    if unit is not None and not scope.sees_unit(unit):
        return []
    rows = people_admin.list_people(store, units_in=None if scope.top else scope.units, unit_code=unit, role=role,
                                    active=active)
    return [PersonOut.of(v) for v in rows]


class UnitChoiceOut(BaseModel):
    code: str
    level: str
    name: str
    parent_code: str | None


class PhoneChoiceOut(BaseModel):
    device_id: str
    unit_code: str
    owner_person_id: str | None
    owner_name: str | None


class ChoicesOut(BaseModel):
    units: list[UnitChoiceOut] = Field(description="the units of your subtree (buildings included), by code")
    phones: list[PhoneChoiceOut] = Field(description="phones bound in your subtree")


@router.get("/choices", response_model=ChoicesOut)
def choices(store: StoreDep, scope: ScopeDep) -> ChoicesOut:
    """What the people form may name: the units and phones of your subtree."""
    units, phones = people_admin.choices(store, None if scope.top else scope.code)
    return ChoicesOut(units=[UnitChoiceOut.model_validate(u, from_attributes=True) for u in units],
                      phones=[PhoneChoiceOut.model_validate(p, from_attributes=True) for p in phones])


@router.post("", status_code=201, response_model=PersonOut)
def add_person(body: PersonIn, store: StoreDep, scope: ScopeDep, request: Request) -> PersonOut:
    _check_unit(scope, body.unit_code)
    _check_phone(scope, body.phone_device_id)
    person = Person(body.id or people_admin.new_id(), body.name.strip(), body.role, body.unit_code,
                    body.phone_device_id)
    try:
        made = people_admin.add(store, person)
    except PeopleError as exc:
        raise _refused(exc) from None
    note_access(request, person_id=made.id, unit_code=made.unit_code, role=made.role)
    return PersonOut.of(made)


@router.get("/{person_id}", response_model=PersonOut)
def get_person(person_id: str, store: StoreDep, scope: ScopeDep) -> PersonOut:
    _in_scope(scope, person_id)
    found = people_admin.view(store, person_id)
    if found is None:
        raise not_found()
    return PersonOut.of(found)


@router.patch("/{person_id}", response_model=PersonOut)
def edit_person(person_id: str, body: PersonPatch, store: StoreDep, scope: ScopeDep, request: Request) -> PersonOut:
    """Change name, role, unit (inside your scope) or phone (one bound in your scope; ``clear_phone`` removes it)."""
    _in_scope(scope, person_id)
    changes: dict[str, str | None] = {k: v for k, v in body.model_dump(exclude={"clear_phone"}).items()
                                      if v is not None}
    if body.clear_phone:
        changes["phone_device_id"] = None
    if "name" in changes and changes["name"] is not None:
        changes["name"] = changes["name"].strip()
    if body.unit_code is not None:
        _check_unit(scope, body.unit_code)
    _check_phone(scope, body.phone_device_id)
    try:
        before, after = people_admin.edit(store, person_id, **changes)
    except PeopleError as exc:
        raise _refused(exc) from None
    note_access(request, before={k: getattr(before, k) for k in changes},
                after={k: getattr(after, k) for k in changes})
    return PersonOut.of(after)


@router.post("/{person_id}/deactivate", response_model=PersonOut)
def deactivate(person_id: str, body: DeactivateIn, admin: AdminDep, store: StoreDep, scope: ScopeDep,
               request: Request) -> PersonOut:
    """Off duty (停用): kept in every trail and name, offered no new task."""
    _in_scope(scope, person_id)
    try:
        done = people_admin.set_active(store, person_id, False, by_operator=admin.id, reason=body.reason,
                                       now=store.clock())
    except PeopleError as exc:
        raise _refused(exc) from None
    note_access(request, reason=body.reason)
    return PersonOut.of(done)


@router.post("/{person_id}/activate", response_model=PersonOut)
def activate(person_id: str, admin: AdminDep, store: StoreDep, scope: ScopeDep) -> PersonOut:
    _in_scope(scope, person_id)
    try:
        return PersonOut.of(people_admin.set_active(store, person_id, True, by_operator=admin.id, reason="",
                                                    now=store.clock()))
    except PeopleError as exc:
        raise _refused(exc) from None
