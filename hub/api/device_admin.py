"""Device identity for admins: register a device (one-time enrolment code + QR), issue a new code,
revoke, clear a spoofing flag, and the register itself. Admins act only inside their scope (by the unit
hierarchy), on every id they name: the unit, the owner (a person in scope) and the device id itself (one bound
to a unit outside the scope cannot be taken over by registering it again)."""
from __future__ import annotations

import base64
from datetime import datetime
from typing import Literal

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from hub.auth.access_log import note_access
from hub.auth.http import AdminDep, ScopeDep
from hub.auth.scope import OperatorScope
from hub.devices.identities import DeviceIdentity, EnrollmentCode, IdentityError
from hub.devices.jobs import registry_from_settings, wake_broker_sync
from hub.devices.qr import enrollment_uri, qr_png
from hub.org import repo as org_repo
from hub.store.vocabulary import DEVICE_KINDS

router = APIRouter(tags=["device identity"])

_STATUS = {"not_found": 404, "exists": 409}


class RegisterIn(BaseModel):
    device_id: str = Field(max_length=64)
    kind: Literal[DEVICE_KINDS]  # type: ignore[valid-type]
    unit_code: str = Field(max_length=15, description="the grid (or community) the device serves")
    owner_person_id: str | None = Field(default=None, max_length=64, description="whose phone")


class RevokeIn(BaseModel):
    reason: str = Field(default="", max_length=500, description="e.g. 手机遗失 / phone lost")


class EnrollmentCodeOut(BaseModel):
    device_id: str
    code: str = Field(description="one-time, shown only now")
    expires_at: datetime
    qr_text: str
    qr_png_base64: str


class FlagOut(BaseModel):
    reason: str
    detail: str
    count: int
    first_at: datetime
    last_at: datetime


class IdentityOut(BaseModel):
    device_id: str
    state: Literal["pending", "active", "revoked"]
    kind: str | None
    unit_code: str | None
    owner_person_id: str | None
    created_at: datetime
    enrolled_at: datetime | None
    enroll_expires_at: datetime | None
    revoked_at: datetime | None
    revoke_reason: str
    flag: FlagOut | None

    @classmethod
    def of(cls, identity: DeviceIdentity) -> IdentityOut:
        flag = FlagOut(**vars(identity.flag)) if identity.flag else None
        return cls(**{**vars(identity), "flag": flag})


def _registry(request: Request):
    state = request.app.state
    return registry_from_settings(state.settings, state.store, state.store.clock)


def _code_out(request: Request, issued: EnrollmentCode) -> EnrollmentCodeOut:
    text = enrollment_uri(issued.code, str(request.base_url))
    return EnrollmentCodeOut(device_id=issued.device_id, code=issued.code, expires_at=issued.expires_at,
                             qr_text=text, qr_png_base64=base64.b64encode(qr_png(text)).decode())


def _in_scope(request: Request, scope: OperatorScope, device_id: str) -> DeviceIdentity:
    identity = _registry(request).get(device_id)
    if identity is None:
        raise HTTPException(404, f"no device {device_id}")
    scope.require_unit(identity.unit_code)
    return identity


def _refused(exc: IdentityError) -> HTTPException:
    return HTTPException(_STATUS.get(exc.code, 422), {"code": exc.code, "message": str(exc)})


@router.get("/device-identities", response_model=list[IdentityOut])
def list_identities(request: Request, admin: AdminDep, scope: ScopeDep) -> list[IdentityOut]:
    if scope.top:
        return [IdentityOut.of(i) for i in _registry(request).list()]
    inside = scope.subtree()
    return [IdentityOut.of(i) for i in _registry(request).list() if i.unit_code in inside]


def _check_registration(body: RegisterIn, scope: OperatorScope) -> None:
    """Every id in the body must be the admin's to name (runs in a worker thread: it reads the database)."""
    scope.require_unit(body.unit_code)
    if body.owner_person_id is not None:
        owner = scope.person(body.owner_person_id)
        if owner is None:
            raise HTTPException(422, {"code": "unknown_person", "zh": f"无此人员 {body.owner_person_id}",
                                      "en": f"no person {body.owner_person_id!r} in your scope"})
        # The owner works in the unit the device serves (or under it): a phone is not handed across grids.
        with scope.store.read() as conn:
            owner_chain = org_repo.ancestor_codes(conn, owner.unit_code)
        if body.unit_code not in owner_chain:
            raise HTTPException(422, {"code": "owner_elsewhere",
                                      "zh": f"{owner.name} 不属于该设备所服务的单元",
                                      "en": f"{body.owner_person_id} does not belong to unit {body.unit_code}"})
    if scope.bound_elsewhere(body.device_id):
        raise HTTPException(409, {"code": "exists", "zh": f"设备 {body.device_id} 已登记在其他单位",
                                  "en": f"{body.device_id} is already bound to a unit outside your scope",
                                  "message": f"{body.device_id} is bound outside your scope"})


@router.post("/devices", response_model=EnrollmentCodeOut, status_code=201)
async def register_device(body: RegisterIn, request: Request, admin: AdminDep, scope: ScopeDep) -> EnrollmentCodeOut:
    note_access(request, device_id=body.device_id, unit_code=body.unit_code)  # the audit row names the device
    await run_in_threadpool(_check_registration, body, scope)
    try:
        issued = await run_in_threadpool(_registry(request).register, body.device_id, kind=body.kind,
                                         unit_code=body.unit_code, owner_person_id=body.owner_person_id,
                                         by=admin.username)
    except IdentityError as exc:
        raise _refused(exc) from None
    return _code_out(request, issued)


@router.get("/devices/{device_id}/identity", response_model=IdentityOut)
def get_identity(device_id: str, request: Request, admin: AdminDep, scope: ScopeDep) -> IdentityOut:
    return IdentityOut.of(_in_scope(request, scope, device_id))


@router.post("/devices/{device_id}/enrollment-code", response_model=EnrollmentCodeOut, status_code=201)
def new_enrollment_code(device_id: str, request: Request, admin: AdminDep, scope: ScopeDep) -> EnrollmentCodeOut:
    _in_scope(request, scope, device_id)
    return _code_out(request, _registry(request).issue_code(device_id, by=admin.username))


@router.post("/devices/{device_id}/revoke", response_model=IdentityOut)
def revoke_device(device_id: str, body: RevokeIn, request: Request, admin: AdminDep,
                  scope: ScopeDep) -> IdentityOut:
    _in_scope(request, scope, device_id)
    identity = _registry(request).revoke(device_id, by=admin.username, reason=body.reason)
    wake_broker_sync(request.app.state)
    return IdentityOut.of(identity)


@router.delete("/devices/{device_id}/flag", status_code=204)
def clear_flag(device_id: str, request: Request, admin: AdminDep, scope: ScopeDep) -> None:
    _in_scope(request, scope, device_id)
    if not _registry(request).clear_flag(device_id, by=admin.username):
        raise HTTPException(404, "no open flag")
