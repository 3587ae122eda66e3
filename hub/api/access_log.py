"""The access audit log, for admins: who viewed or changed what, newest first. An admin sees the rows of
accounts scoped inside their subtree; admins of the top unit also see anonymous and API-key rows.
Reading the log is itself logged."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import AwareDatetime, BaseModel

from hub.api.deps import StoreDep
from hub.auth.access_log import PERSONAL_READ, AccessEntry, AccessLog
from hub.auth.http import ScopeDep, admin_operator

router = APIRouter(prefix="/access-log", tags=["access log"], dependencies=[Depends(admin_operator)])


class AccessEntryOut(BaseModel):
    id: int
    at: datetime
    operator_id: str | None
    api_key_id: str | None
    method: str
    route: str
    resource_ids: dict[str, Any]
    status: int
    client_addr: str
    user_agent: str

    @classmethod
    def of(cls, e: AccessEntry) -> AccessEntryOut:
        return cls(**e.__dict__)


@router.get("", response_model=list[AccessEntryOut], openapi_extra=PERSONAL_READ)
def query_access_log(
    store: StoreDep,
    scope: ScopeDep,
    operator_id: str | None = None,
    route: Annotated[str | None, Query(description="route template, e.g. /api/photos/{sha256}")] = None,
    resource_id: Annotated[str | None, Query(description="rows naming this id (a case, photo, enrolment ...)")] = None,
    since: AwareDatetime | None = None,
    until: AwareDatetime | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    before_id: Annotated[int | None, Query(ge=0, le=2**31 - 1,  # ids are INTEGER columns: beyond, 422 not 500
                                           description="page: the last id of the previous page")] = None,
) -> list[AccessEntryOut]:
    rows = AccessLog(store).query(scope_code=None if scope.top else scope.code, operator_id=operator_id,
                                  route=route, resource_id=resource_id, since=since, until=until, limit=limit,
                                  before_id=before_id)
    return [AccessEntryOut.of(r) for r in rows]
