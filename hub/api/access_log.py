"""The access audit log, for admins: who viewed or changed what, newest first. An admin sees the rows of
accounts scoped inside their subtree; admins of the top unit also see anonymous and API-key rows.
Reading the log is itself logged, and so is exporting it: ``GET /api/access-log/export`` gives the same filter's
rows (at most 10000, newest first) as xlsx or CSV (hub/api/office.py: codes as text, formulas neutralised)."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import AwareDatetime, BaseModel
from starlette.concurrency import run_in_threadpool

from hub.api.deps import StoreDep
from hub.api.office import Column, csv_bytes, xlsx_bytes
from hub.auth.access_log import PERSONAL_READ, AccessEntry, AccessLog
from hub.auth.http import DirectoryDep, ScopeDep, admin_operator

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


EXPORT_MAX = 10000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_HEADERS = {"zh-CN": ["序号", "时间", "操作员", "账号", "API 密钥", "方法", "接口", "涉及对象", "结果", "来源地址",
                      "客户端"],
            "en": ["id", "time", "operator id", "username", "API key", "method", "route", "resources", "status",
                   "client address", "user agent"]}
_TEXT = {0, 2, 3, 4, 7, 9, 10}


@router.get("/export", response_class=Response, openapi_extra=PERSONAL_READ,
            responses={200: {"content": {XLSX: {}, "text/csv": {}},
                             "description": f"the filter's rows, newest first, at most {EXPORT_MAX}"}})
async def export_access_log(
    request: Request,
    store: StoreDep,
    scope: ScopeDep,
    directory: DirectoryDep,
    operator_id: str | None = None,
    route: Annotated[str | None, Query(description="route template, e.g. /api/photos/{sha256}")] = None,
    resource_id: Annotated[str | None, Query(description="rows naming this id")] = None,
    since: AwareDatetime | None = None,
    until: AwareDatetime | None = None,
    format: Literal["xlsx", "csv"] = "xlsx",
    lang: Annotated[Literal["zh-CN", "en"], Query(description="header language")] = "zh-CN",
) -> Response:
    """The log as an office file (the same filter and scope as the list)."""
    zone = ZoneInfo(request.app.state.settings.time_zone)

    def build() -> bytes:
        rows = AccessLog(store).query(scope_code=None if scope.top else scope.code, operator_id=operator_id,
                                      route=route, resource_id=resource_id, since=since, until=until,
                                      limit=EXPORT_MAX)
        names = {op.id: op.username for op in directory.all_operators()}
        table = [[str(r.id), r.at, r.operator_id, names.get(r.operator_id or "", ""), r.api_key_id, r.method,
                  r.route, json.dumps(r.resource_ids, ensure_ascii=False, sort_keys=True), r.status, r.client_addr,
                  r.user_agent] for r in rows]
        columns = [Column(h, text=i in _TEXT) for i, h in enumerate(_HEADERS[lang])]
        sheet = "访问日志" if lang == "zh-CN" else "Access log"
        return xlsx_bytes(sheet, columns, table, zone) if format == "xlsx" else csv_bytes(columns, table, zone)

    body = await run_in_threadpool(build)
    name = f"{'访问日志' if lang == 'zh-CN' else 'access-log'}.{format}"
    media = XLSX if format == "xlsx" else "text/csv; charset=utf-8"
    return Response(body, media_type=media, headers={
        "Content-Disposition": f"attachment; filename=\"access-log.{format}\"; filename*=UTF-8''{quote(name)}"})
