"""Stored records (reports, check-ins, positions, ...) of the devices in the operator's scope.
Reads are audited: check-ins carry resident keys."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from pydantic import AwareDatetime

from hub.api.deps import StoreDep
from hub.api.schemas import RecordOut, RecordPage
from hub.auth.access_log import PERSONAL_READ
from hub.auth.http import ScopeDep
from hub.store import CursorError

router = APIRouter(prefix="/records", tags=["records"])


@router.get("", response_model=RecordPage, openapi_extra=PERSONAL_READ)
def list_records(
    scope: ScopeDep,
    kind: Annotated[str | None, Query(description="report, checkin, position")] = None,
    device_id: str | None = None,
    since: Annotated[AwareDatetime | None, Query(description="hub receive time, inclusive")] = None,
    until: Annotated[AwareDatetime | None, Query(description="hub receive time, exclusive")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: str | None = None,
) -> RecordPage:
    """Stored records of devices in your subtree, oldest received first; follow ``next_cursor`` for more."""
    try:
        rows, next_cursor = scope.records(kind=kind, device_id=device_id, since=since, until=until,
                                          limit=limit, cursor=cursor)
    except CursorError:
        raise HTTPException(400, "invalid cursor") from None
    return RecordPage(items=[RecordOut.of(r) for r in rows], next_cursor=next_cursor)


@router.get("/{record_id}", response_model=RecordOut, openapi_extra=PERSONAL_READ)
def get_record(record_id: str, store: StoreDep, scope: ScopeDep) -> RecordOut:
    row = store.get_record(record_id)
    if row is None or not scope.sees_device(row.device_id):
        raise HTTPException(404, f"no record {record_id}")
    return RecordOut.of(row)
