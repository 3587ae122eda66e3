"""Messages the hub refused. Admins only (raw payloads may hold anything a device sent), and only those
from devices bound in the admin's scope; unattributable ones to admins of the top unit."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from hub.api.schemas import DeadLetterOut
from hub.auth.http import ScopeDep, admin_operator

router = APIRouter(prefix="/dead-letters", tags=["dead letters"], dependencies=[Depends(admin_operator)])


@router.get("", response_model=list[DeadLetterOut])
def list_dead_letters(
    scope: ScopeDep,
    reason: str | None = None,
    device_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    before_id: Annotated[int | None, Query(ge=0, le=2**31 - 1,  # ids are INTEGER columns: beyond, 422 not 500
                                           description="page: the last id of the previous page")] = None,
) -> list[DeadLetterOut]:
    """Messages the hub refused, newest first."""
    rows = scope.dead_letters(reason=reason, device_id=device_id, limit=limit, before_id=before_id)
    return [DeadLetterOut.of(r) for r in rows]
