"""``GET /api/ledger/cases``: the case ledger (案件台账, hub/cases/ledger.py) of the cases a case-list filter matches
in your scope, as xlsx (default) or CSV (hub/api/office.py), headers in Chinese or English."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from hub.api.case_filters import CaseQueryDep
from hub.api.deps import StoreDep
from hub.api.office import Column, csv_bytes, xlsx_bytes
from hub.auth.http import ScopeDep
from hub.cases import states
from hub.cases.ledger import MAX_ROWS, headers, ledger

router = APIRouter(prefix="/ledger", tags=["exports"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LIVE = tuple(states.OPEN)


@router.get("/cases", response_class=Response, responses={200: {"content": {XLSX: {}, "text/csv": {}}, "description":
            f"the ledger; at most {MAX_ROWS} cases, oldest first (header X-Ledger-Truncated when cut)"}})
async def case_ledger(request: Request, store: StoreDep, scope: ScopeDep, query: CaseQueryDep,
                      format: Literal["xlsx", "csv"] = "xlsx",
                      lang: Annotated[Literal["zh-CN", "en"], Query(description="header and label language")] = "zh-CN",
                      ) -> Response:
    settings = request.app.state.settings
    zone = ZoneInfo(settings.time_zone)
    now = request.app.state.case_service.clock()

    def build() -> tuple[bytes, bool]:
        with store.read() as conn:
            rows, truncated = ledger(conn, query, now=now, live=LIVE, scope_units=scope.case_units, lang=lang)
        columns = [Column(header, text=text) for header, text in headers(lang)]
        made = xlsx_bytes("案件台账" if lang == "zh-CN" else "Case ledger", columns, rows, zone) \
            if format == "xlsx" else csv_bytes(columns, rows, zone)
        return made, truncated

    body, truncated = await run_in_threadpool(build)
    name = f"{'案件台账' if lang == 'zh-CN' else 'case-ledger'}_{datetime.now(zone):%Y%m%d-%H%M}.{format}"
    response_headers = {"Content-Disposition": f"attachment; filename=\"ledger.{format}\"; "
                                               f"filename*=UTF-8''{quote(name)}"}
    if truncated:
        response_headers["X-Ledger-Truncated"] = str(MAX_ROWS)
    media = XLSX if format == "xlsx" else "text/csv; charset=utf-8"
    return Response(body, media_type=media, headers=response_headers)
