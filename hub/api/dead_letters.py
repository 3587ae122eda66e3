from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from .deps import StoreDep
from .schemas import DeadLetterOut

router = APIRouter(prefix="/dead-letters", tags=["dead letters"])


@router.get("", response_model=list[DeadLetterOut])
def list_dead_letters(
    store: StoreDep,
    reason: str | None = None,
    device_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    before_id: Annotated[int | None, Query(description="page: the last id of the previous page")] = None,
) -> list[DeadLetterOut]:
    """Messages the hub refused, newest first."""
    rows = store.list_dead_letters(reason=reason, device_id=device_id, limit=limit, before_id=before_id)
    return [DeadLetterOut.of(r) for r in rows]
