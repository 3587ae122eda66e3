"""``GET /api/patrols``: the patrol sessions (巡逻记录) the tablets sent, read-only, limited to the tablets bound
inside the operator's scope."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from pydantic import AwareDatetime, BaseModel

from hub.auth.http import ScopeDep
from hub.patrols.service import list_patrols
from hub.store import CursorError

router = APIRouter(prefix="/patrols", tags=["patrols"])


class PatrolOut(BaseModel):
    id: str
    device_id: str
    unit_code: str | None
    volunteer_id: str | None
    grid_code: str | None
    started_at: datetime
    ended_at: datetime
    duration_s: float
    distance_m: float
    fixes: int
    skipped: int
    received_at: datetime


class PatrolPageOut(BaseModel):
    items: list[PatrolOut]
    next_cursor: str | None


@router.get("", response_model=PatrolPageOut)
def get_patrols(
    scope: ScopeDep,
    unit: Annotated[str | None, Query(description="a grid or unit in your scope (default: all of it)")] = None,
    device_id: str | None = None,
    since: Annotated[AwareDatetime | None, Query(description="hub receive time, inclusive")] = None,
    until: Annotated[AwareDatetime | None, Query(description="hub receive time, exclusive")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: str | None = None,
) -> PatrolPageOut:
    """Finished patrols of tablets bound in your subtree, oldest received first; follow ``next_cursor``."""
    try:
        page = list_patrols(scope, unit=unit, device_id=device_id, since=since, until=until, limit=limit,
                            cursor=cursor)
    except CursorError:
        raise HTTPException(400, "invalid cursor") from None
    return PatrolPageOut(items=[PatrolOut.model_validate(p, from_attributes=True) for p in page.items],
                         next_cursor=page.next_cursor)
