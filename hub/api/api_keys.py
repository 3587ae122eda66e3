"""Open311 API keys: issued and revoked by admins of the top unit (a key lets a client system file requests
anywhere in the deployment, so a community's admin cannot hand one out)."""
from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field

from hub.api.deps import StoreDep
from hub.auth.access_log import note_access
from hub.auth.api_keys import ApiKey, ApiKeyRegistry
from hub.auth.http import AdminDep, ScopeDep, admin_operator
from hub.auth.scope import OperatorScope

router = APIRouter(prefix="/open311-keys", tags=["open311 keys"], dependencies=[Depends(admin_operator)])


class ApiKeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=64, examples=["12345 热线 hotline"])


class ApiKeyOut(BaseModel):
    id: str
    name: str
    created_by: str
    created_at: datetime
    revoked_at: datetime | None

    @classmethod
    def of(cls, key: ApiKey) -> ApiKeyOut:
        return cls(id=key.id, name=key.name, created_by=key.created_by, created_at=key.created_at,
                   revoked_at=key.revoked_at)


class ApiKeyIssued(ApiKeyOut):
    api_key: str = Field(description="the secret, shown this once; the hub keeps only its hash")


def _top_only(scope: OperatorScope) -> None:
    if not scope.top:
        raise HTTPException(403, {"code": "top_admin_only", "zh": "仅限最高层级的管理员",
                                  "en": "only admins scoped to the top unit manage Open311 keys"})


def _registry(store) -> ApiKeyRegistry:
    return ApiKeyRegistry(store, clock=store.clock)


@router.get("", response_model=list[ApiKeyOut])
def list_keys(store: StoreDep, scope: ScopeDep) -> list[ApiKeyOut]:
    _top_only(scope)
    return [ApiKeyOut.of(k) for k in _registry(store).all_keys()]


@router.post("", status_code=201, response_model=ApiKeyIssued)
def issue_key(body: ApiKeyIn, admin: AdminDep, store: StoreDep, scope: ScopeDep, request: Request) -> ApiKeyIssued:
    _top_only(scope)
    try:
        key, secret = _registry(store).issue(body.name, admin.id)
    except ValueError as exc:  # a blank name (whitespace only): the caller's mistake, not a server error
        raise HTTPException(422, str(exc)) from None
    note_access(request, api_key_id=key.id)
    return ApiKeyIssued(**ApiKeyOut.of(key).model_dump(), api_key=secret)


@router.post("/{key_id}/revoke", response_model=ApiKeyOut)
def revoke_key(key_id: str, store: StoreDep, scope: ScopeDep) -> ApiKeyOut:
    _top_only(scope)
    try:
        return ApiKeyOut.of(_registry(store).revoke(key_id))
    except ValueError:
        raise HTTPException(404, f"no API key {key_id}") from None
