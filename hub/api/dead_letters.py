"""Messages the hub refused. Admins only (raw payloads may hold anything a device sent), and only those
from devices bound in the admin's scope; unattributable ones to admins of the top unit.

``GET /api/dead-letters/{id}`` shows one with its replays; ``POST /api/dead-letters/{id}/replay`` feeds its kept
bytes through the normal ingest path again after a fix (hub/mqtt/replay.py) and answers what became of them -
stored, duplicate, conflict, a stored phone action applied again (applied / rejected), or refused again with the
new letter's reason. Replays are in the access log and
beside the letter."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from pydantic import BaseModel

from hub.api.deps import StoreDep
from hub.api.schemas import DeadLetterOut
from hub.auth.access_log import PERSONAL_READ, note_access
from hub.auth.http import AdminDep, ScopeDep, admin_operator
from hub.auth.scope import OperatorScope, not_found
from hub.cases.actions import ActionApplier
from hub.jobs.wakeup import ring_jobs
from hub.mqtt import replay as replays
from hub.store import HubStore
from hub.store.dead_letter_replays import Replay
from hub.store.rows import DeadLetterRow

router = APIRouter(prefix="/dead-letters", tags=["dead letters"], dependencies=[Depends(admin_operator)])
LetterId = Annotated[int, Path(ge=1, le=2**31 - 1)]


class ReplayOut(BaseModel):
    id: int
    at: datetime
    by_operator: str
    outcome: str
    detail: str
    new_dead_letter_id: int | None

    @classmethod
    def of(cls, r: Replay) -> ReplayOut:
        return cls.model_validate(r, from_attributes=True)


class DeadLetterDetailOut(DeadLetterOut):
    replayable: bool
    replays: list[ReplayOut]


class ReplayResultOut(BaseModel):
    replay: ReplayOut
    new_letter: DeadLetterOut | None


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


def _seen(store: HubStore, scope: OperatorScope, letter_id: int) -> DeadLetterRow:
    found = replays.letter(store, letter_id)
    if found is None or not scope.sees_device(found.device_id):
        raise not_found()
    return found


@router.get("/{letter_id}", response_model=DeadLetterDetailOut, openapi_extra=PERSONAL_READ)
def dead_letter(letter_id: LetterId, store: StoreDep, scope: ScopeDep) -> DeadLetterDetailOut:
    """One refused message, its payload and its replays."""
    found = _seen(store, scope, letter_id)
    done = replays.replays_of(store, [found.id])[found.id]
    return DeadLetterDetailOut(**DeadLetterOut.of(found).model_dump(),
                               replayable=replays.replayable(found),
                               replays=[ReplayOut.of(r) for r in done])


@router.post("/{letter_id}/replay", response_model=ReplayResultOut)
def replay(letter_id: LetterId, store: StoreDep, scope: ScopeDep, admin: AdminDep, request: Request) -> ReplayResultOut:
    """Feed the kept bytes through the normal ingest path again (after a fix) and answer the outcome."""
    found = _seen(store, scope, letter_id)
    try:
        applier = ActionApplier(store, request.app.state.case_service, dead_letter_cap=store.dead_letter_cap)
        result = replays.replay(store, found, by_operator=admin.id, reapply_action=applier.reapply)
    except replays.ReplayRefused as exc:
        raise HTTPException(409, {"code": exc.code, "zh": exc.zh, "en": exc.en}) from None
    if result.replay.outcome == "stored":
        ring_jobs(request.app.state, *replays.jobs_to_ring(found.topic))
    elif result.replay.outcome in ("applied", "rejected"):
        ring_jobs(request.app.state, "dispatch")  # the case moved (or a refusal to tell the phone about)
    note_access(request, outcome=result.replay.outcome, new_dead_letter_id=result.replay.new_dead_letter_id)
    return ReplayResultOut(replay=ReplayOut.of(result.replay),
                           new_letter=DeadLetterOut.of(result.new_letter) if result.new_letter else None)
