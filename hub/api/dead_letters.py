"""Messages the hub refused. Admins only (raw payloads may hold anything a device sent), and only those
from devices bound in the admin's scope; unattributable ones to admins of the top unit.

``GET /api/dead-letters/{id}`` shows one with its replays; ``POST /api/dead-letters/{id}/replay`` feeds its kept
bytes through the normal ingest path again after a fix (hub/mqtt/replay.py) and answers what became of them -
stored, duplicate, conflict, a stored phone action applied again (applied / rejected), or refused again with the
new letter's reason. Replays are in the access log and
beside the letter.

``POST /api/dead-letters/replay`` replays many: the ids picked on the page, or every letter matching a filter that
was never replayed (``GET /api/dead-letters/unreplayed`` counts them first, for the confirmation); at most
``BULK_CAP`` (500) per request - more is refused with ``too_many`` before anything is replayed. Every letter is
checked against the admin's scope (one outside it, named by id, is skipped as not found); the answer counts what
was replayed, refused again (with the new reasons) and skipped (with why), letter by letter."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from pydantic import BaseModel, Field, model_validator

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


class LetterFilter(BaseModel):
    reason: str | None = Field(default=None, max_length=64)
    device_id: str | None = Field(default=None, max_length=64)


class BulkReplayIn(BaseModel):
    ids: list[Annotated[int, Field(ge=1, le=2**31 - 1)]] | None = Field(
        default=None, max_length=10_000, description=f"the letters picked; at most {replays.BULK_CAP} are replayed")
    match: LetterFilter | None = Field(default=None, description="every never-replayed letter matching this filter")
    up_to_id: int | None = Field(default=None, ge=1, le=2**31 - 1,
                                 description="with match: only letters up to this id (the count that was confirmed)")
    limit: int | None = Field(default=None, ge=1, le=replays.BULK_CAP,
                              description="with match: the oldest this many (more matching: refused without it)")

    @model_validator(mode="after")
    def _one_selection(self) -> BulkReplayIn:
        if (self.ids is None) == (self.match is None):
            raise ValueError("give either ids or match")
        if self.ids is not None and (self.up_to_id is not None or self.limit is not None):
            raise ValueError("up_to_id and limit go with match")
        return self


class BulkItemOut(BaseModel):
    id: int
    outcome: str = Field(description="stored | duplicate | applied | nothing | dead | conflict | rejected | skipped")
    reason: str = Field(description="refused again: the new letter's reason (or conflict / rejected); skipped: "
                                    "not_found | truncated | not_a_message | error")
    detail: str
    new_dead_letter_id: int | None


class BulkReplayOut(BaseModel):
    requested: int
    replayed: int = Field(description="stored, already stored, applied, or nothing to do")
    refused_again: int = Field(description="dead (a new letter with its reason), conflict, rejected by the case")
    skipped: int = Field(description="not replayed: not found in your scope, cut payload, not a message, error")
    outcomes: dict[str, int]
    reasons: dict[str, int] = Field(description="why letters were refused again or skipped, with how many")
    remaining: int | None = Field(description="with match: letters still matching after this run")
    items: list[BulkItemOut]


class UnreplayedOut(BaseModel):
    count: int = Field(description="letters matching the filter in your scope that were never replayed")
    up_to_id: int | None = Field(description="the newest of them: pass it back so the count confirmed is the count")
    cap: int


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


@router.get("/unreplayed", response_model=UnreplayedOut)
def unreplayed(scope: ScopeDep, store: StoreDep, reason: Annotated[str | None, Query(max_length=64)] = None,
               device_id: Annotated[str | None, Query(max_length=64)] = None) -> UnreplayedOut:
    """How many letters "replay all matching this filter" would take (never replayed, replayable, in scope)."""
    count, newest = replays.unreplayed(store, reason=reason or None, device_id=device_id or None,
                                       devices_in=scope.devices_in)
    return UnreplayedOut(count=count, up_to_id=newest, cap=replays.BULK_CAP)


@router.post("/replay", response_model=BulkReplayOut)
def replay_many(body: BulkReplayIn, store: StoreDep, scope: ScopeDep, admin: AdminDep,
                request: Request) -> BulkReplayOut:
    """Replay several letters, oldest first, each as one replay; skipped ones (out of scope, not replayable) say
    why. More than the cap: 422 ``too_many`` and nothing replayed."""
    match = body.match
    if match is not None:
        reason, device_id = match.reason or None, match.device_id or None
        ids = replays.unreplayed_ids(store, reason=reason, device_id=device_id, devices_in=scope.devices_in,
                                     up_to_id=body.up_to_id, limit=(body.limit or replays.BULK_CAP) + 1)
        if body.limit is not None:
            ids = ids[:body.limit]
        elif len(ids) > replays.BULK_CAP:
            count, _ = replays.unreplayed(store, reason=reason, device_id=device_id, devices_in=scope.devices_in)
            raise _too_many(replays.TooMany(count))
    else:
        ids = body.ids or []
    try:
        applier = ActionApplier(store, request.app.state.case_service, dead_letter_cap=store.dead_letter_cap)
        done = replays.replay_many(store, ids, sees_device=scope.sees_device, by_operator=admin.id,
                                   reapply_action=applier.reapply)
    except replays.TooMany as exc:
        raise _too_many(exc) from None
    if done.jobs:
        ring_jobs(request.app.state, *sorted(done.jobs))
    remaining = None
    if match is not None:
        remaining, _ = replays.unreplayed(store, reason=match.reason or None, device_id=match.device_id or None,
                                          devices_in=scope.devices_in)
    outcomes = done.outcomes
    note_access(request, letters=[i.id for i in done.items], outcomes=outcomes,
                new_dead_letter_ids=[i.new_dead_letter_id for i in done.items if i.new_dead_letter_id] or None)
    return BulkReplayOut(requested=len(done.items), replayed=done.count(replays.REPLAYED),
                         refused_again=done.count(replays.REFUSED_AGAIN), skipped=done.count(["skipped"]),
                         outcomes=outcomes, reasons=done.reasons, remaining=remaining,
                         items=[BulkItemOut(**vars(i)) for i in done.items])


def _too_many(exc: replays.TooMany) -> HTTPException:
    return HTTPException(422, {"code": exc.code, "zh": exc.zh, "en": exc.en, "count": exc.count, "cap": exc.cap})


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
