"""Control-room accounts, managed by admins over the API (the first admin comes from the CLI).

An admin manages only accounts scoped inside their own subtree (by the unit hierarchy: the city's admin manages
the districts' accounts although 440402 does not start with 440400) and can create none scoped above or beside
it (a community's admin makes the community's dispatchers, not the street's). A password set here is
either given by the admin or generated and shown once in the answer; either way the account's sessions
end. Linking a person sets who the account acts as in case and welfare audit trails: the person must be in the
admin's scope, no admin may re-link their own account (it would let one account act as two people), and every
link change is written to the access log with the person before and after. The case trail records the account
too, and the account that resolved a case cannot verify it whoever it is linked to by then.
"""
from __future__ import annotations

import secrets
from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field

from hub.api.auth import OperatorOut
from hub.auth.access_log import note_access
from hub.auth.http import AdminDep, DirectoryDep, ScopeDep, admin_operator
from hub.auth.operators import Operator, OperatorDirectory
from hub.auth.scope import OperatorScope
from hub.store.vocabulary import OPERATOR_ROLES

router = APIRouter(prefix="/operators", tags=["operators"], dependencies=[Depends(admin_operator)])

Role = Literal[OPERATOR_ROLES]  # type: ignore[valid-type]  # the values come from the one vocabulary


class OperatorAdminOut(OperatorOut):
    disabled: bool
    locked_until: datetime | None

    @classmethod
    def of(cls, op: Operator) -> OperatorAdminOut:
        return cls(**OperatorOut.of(op).model_dump(), disabled=op.disabled, locked_until=op.locked_until)


class OperatorCreated(BaseModel):
    operator: OperatorAdminOut
    password: str | None = Field(description="the generated password, shown this once; null if you gave one")


class OperatorIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    role: Role
    scope_code: str = Field(min_length=6, max_length=15, description="a unit inside your own scope")
    display_name: str = Field(default="", max_length=64)
    person_id: str | None = Field(default=None, max_length=64)
    password: str | None = Field(default=None, max_length=256, description="omit to have one generated")


class PasswordIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    password: str | None = Field(default=None, max_length=256, description="omit to have one generated")


class OperatorPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Role | None = None
    scope_code: str | None = Field(default=None, min_length=6, max_length=15, description="a unit inside your scope")
    display_name: str | None = Field(default=None, min_length=1, max_length=64)


class PersonLinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    person_id: str | None = Field(max_length=64, description="people.id; null unlinks")


def _refuse(status: int, code: str, zh: str, en: str) -> HTTPException:
    return HTTPException(status, {"code": code, "zh": zh, "en": en})


def _generated() -> str:
    return secrets.token_urlsafe(12)  # 16 characters, ~96 bits


def _managed(directory: OperatorDirectory, scope: OperatorScope, operator_id: str) -> Operator:
    target = directory.get(operator_id)
    if target is None or not scope.sees_unit(target.scope_code):
        raise HTTPException(404, f"no operator {operator_id}")
    return target


def _check_person(scope: OperatorScope, person_id: str | None) -> None:
    if person_id is not None and scope.person(person_id) is None:
        raise _refuse(422, "unknown_person", f"无此人员 {person_id}", f"no person {person_id!r} in your scope")


@router.get("", response_model=list[OperatorAdminOut])
def list_operators(scope: ScopeDep, directory: DirectoryDep) -> list[OperatorAdminOut]:
    """Accounts scoped inside your subtree (yours included)."""
    inside = None if scope.top else scope.subtree()
    return [OperatorAdminOut.of(op) for op in directory.all_operators() if inside is None or op.scope_code in inside]


@router.post("", status_code=201, response_model=OperatorCreated)
def create_operator(body: OperatorIn, admin: AdminDep, directory: DirectoryDep, scope: ScopeDep,
                    request: Request) -> OperatorCreated:
    if not scope.sees_unit(body.scope_code):
        raise _refuse(403, "outside_scope", "不能创建超出本人管辖范围的账号",
                      f"you may only create accounts scoped inside {admin.scope_code}")
    _check_person(scope, body.person_id)
    password = body.password or _generated()
    try:
        op = directory.create(body.username, password, role=body.role, scope_code=body.scope_code,
                              display_name=body.display_name, person_id=body.person_id)
    except ValueError as exc:
        raise _refuse(409 if "taken" in str(exc) else 422, "refused", str(exc), str(exc)) from None
    note_access(request, operator_id=op.id, username=op.username)
    return OperatorCreated(operator=OperatorAdminOut.of(op), password=None if body.password else password)


@router.post("/{operator_id}/password", response_model=OperatorCreated)
def reset_password(operator_id: str, body: PasswordIn, directory: DirectoryDep, scope: ScopeDep) -> OperatorCreated:
    """Set a new password (given, or generated and shown once); the account's sessions end."""
    target = _managed(directory, scope, operator_id)
    password = body.password or _generated()
    try:
        directory.set_password(target.id, password)
    except ValueError as exc:
        raise _refuse(422, "weak_password", str(exc), str(exc)) from None
    return OperatorCreated(operator=OperatorAdminOut.of(_managed(directory, scope, target.id)),
                           password=None if body.password else password)


@router.post("/{operator_id}/disable", response_model=OperatorAdminOut)
def disable_operator(operator_id: str, admin: AdminDep, directory: DirectoryDep,
                     scope: ScopeDep) -> OperatorAdminOut:
    """Disable an account: it cannot sign in and its sessions end at once."""
    target = _managed(directory, scope, operator_id)
    if target.id == admin.id:
        raise _refuse(409, "self", "不能停用自己的账号", "you cannot disable your own account")
    directory.set_disabled(target.id, True)
    return OperatorAdminOut.of(_managed(directory, scope, target.id))


@router.post("/{operator_id}/enable", response_model=OperatorAdminOut)
def enable_operator(operator_id: str, directory: DirectoryDep, scope: ScopeDep) -> OperatorAdminOut:
    target = _managed(directory, scope, operator_id)
    directory.set_disabled(target.id, False)
    return OperatorAdminOut.of(_managed(directory, scope, target.id))


@router.patch("/{operator_id}", response_model=OperatorAdminOut)
def edit_operator(operator_id: str, body: OperatorPatch, admin: AdminDep, directory: DirectoryDep, scope: ScopeDep,
                  request: Request) -> OperatorAdminOut:
    """Change an account's role, scope (inside yours) or shown name. Not your own account. Audited (before, after)."""
    target = _managed(directory, scope, operator_id)
    if target.id == admin.id:
        raise _refuse(409, "self", "不能更改自己账号的角色或范围", "you cannot change your own account's role or scope")
    if body.scope_code is not None and not scope.sees_unit(body.scope_code):
        raise _refuse(403, "outside_scope", "不能把账号范围设到本人管辖范围以外",
                      f"you may only scope accounts inside {admin.scope_code}")
    try:
        changed = directory.set_role_scope(target.id, role=body.role, scope_code=body.scope_code,
                                           display_name=body.display_name)
    except ValueError as exc:
        raise _refuse(422, "refused", str(exc), str(exc)) from None
    fields = sorted(body.model_fields_set)
    note_access(request, before={k: getattr(target, k) for k in fields}, after={k: getattr(changed, k) for k in fields})
    return OperatorAdminOut.of(changed)


@router.put("/{operator_id}/person", response_model=OperatorAdminOut)
def link_person(operator_id: str, body: PersonLinkIn, admin: AdminDep, directory: DirectoryDep,
                scope: ScopeDep, request: Request) -> OperatorAdminOut:
    """Link the person this account acts as (needed before it can act on cases or welfare), or unlink. Not your
    own account: another admin links yours. The change is audited (person before and after)."""
    target = _managed(directory, scope, operator_id)
    if target.id == admin.id:
        raise _refuse(403, "self_link", "不能更改自己账号关联的人员，请由其他管理员操作",
                      "you cannot change the person your own account acts as; another admin must do it")
    _check_person(scope, body.person_id)
    note_access(request, person_before=target.person_id or "", person_after=body.person_id or "")
    return OperatorAdminOut.of(directory.set_person(target.id, body.person_id))
