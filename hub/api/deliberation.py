"""议事 (deliberation): topics the control room opens for the kiosks of a unit's subtree, the moderation queue of
residents' comments, live tallies and turnout per grid, and closing a vote with its resolution.

Scope: an operator sees and manages only topics whose target unit lies in their subtree; the target named in a new
topic's body, each image and the comment named in a path are checked the same way (outside: 404, as if absent).
Residents appear only as card keys (keyed hashes made on the kiosk): the representatives' list takes keys, never card
numbers, and no answer carries a resident's key. Comment texts may hold personal data: reading them is logged.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Request
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from hub.api.deps import BridgeDep, StoreDep
from hub.auth.access_log import PERSONAL_READ, note_access
from hub.auth.http import ActingOperatorDep, ScopeDep
from hub.deliberation.service import DeliberationError, DeliberationService
from protocol import VoteOption, VoteSpec
from protocol.deliberation import MAX_OPTIONS, MAX_TOPIC_IMAGES

router = APIRouter(prefix="/deliberation", tags=["deliberation"])
MAX_PERIOD = timedelta(days=731)  # a topic's comment period and vote end in the future, within two years

ResidentKey = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$",
                                   description="a card's keyed hash (HMAC-SHA256 made on the kiosk), never the number")]
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class VoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    options: list[VoteOption] = Field(min_length=2, max_length=MAX_OPTIONS)
    eligibility: Literal["residents", "representatives"] = "residents"
    changes_allowed: bool = False
    closes_at: AwareDatetime


class TopicIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    unit_code: str = Field(min_length=1, max_length=15, description="the kiosks of this unit's subtree show it")
    title: str = Field(min_length=1, max_length=128)
    background: str = Field(default="", max_length=4000)
    images: list[Sha256] = Field(default_factory=list, max_length=MAX_TOPIC_IMAGES)
    comments_until: AwareDatetime
    vote: VoteIn | None = None
    representatives: list[ResidentKey] | None = Field(default=None, max_length=5000)
    eligible_count: int | None = Field(default=None, ge=1, le=1_000_000,
                                       description="cards that may vote, when known (every resident)")


class ModerateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Literal["approve", "reject"]


class CloseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    resolution: str = Field(default="", max_length=1000, examples=["《文明养犬公约》全票通过"])
    notice_id: str | None = Field(default=None, min_length=1, max_length=64,
                                  description="a notice (居务公开) publishing the resolution")


def _service(request: Request, store: StoreDep, bridge: BridgeDep) -> DeliberationService:
    return DeliberationService(store, store.clock, bridge)


def _not_found() -> HTTPException:
    return HTTPException(404, "没有此议题 / no such topic")


def _conflict(exc: DeliberationError) -> HTTPException:
    return HTTPException(409, str(exc))


@router.get("/topics")
def list_topics(request: Request, store: StoreDep, bridge: BridgeDep, scope: ScopeDep) -> list[dict[str, Any]]:
    """Topics targeting the operator's subtree, newest first, with live tallies (one vote per card)."""
    return _service(request, store, bridge).topics(scope.code)


@router.post("/topics", status_code=201)
def open_topic(body: TopicIn, request: Request, store: StoreDep, bridge: BridgeDep, scope: ScopeDep,
               operator: ActingOperatorDep) -> dict[str, Any]:
    now = store.clock()
    ends = [body.comments_until] + ([body.vote.closes_at] if body.vote else [])
    if any(not now < end <= now + MAX_PERIOD for end in ends):
        raise HTTPException(422, "截止时间须在未来两年内 / the comment period and the vote must end within two years")
    for sha in body.images:  # a photo the operator may see (another community's would leak to these kiosks)
        photo = store.get_photo(sha)
        if photo is None or not scope.sees_photo(photo):
            raise HTTPException(422, f"图片不存在 / no such photo: {sha[:12]}")
    try:
        vote = VoteSpec(**body.vote.model_dump()) if body.vote else None
    except ValidationError as exc:
        raise HTTPException(422, exc.errors()[0]["msg"]) from None
    service = _service(request, store, bridge)
    try:
        topic_id = service.open_topic(scope=scope.code, unit_code=body.unit_code, title=body.title,
                                      background=body.background, images=body.images,
                                      comments_until=body.comments_until, vote=vote,
                                      representatives=body.representatives, eligible_count=body.eligible_count,
                                      by=operator.id)
    except LookupError:
        raise HTTPException(404, "没有此单位 / no such unit") from None
    except DeliberationError as exc:
        raise HTTPException(422, str(exc)) from None
    note_access(request, topic_id=topic_id)
    return service.topic(topic_id, scope.code)


@router.get("/topics/{topic_id}", openapi_extra=PERSONAL_READ)
def get_topic(topic_id: str, request: Request, store: StoreDep, bridge: BridgeDep,
              scope: ScopeDep) -> dict[str, Any]:
    """One topic: tally, turnout per grid, every comment (pending ones only for moderation here)."""
    try:
        return _service(request, store, bridge).topic(topic_id, scope.code)
    except LookupError:
        raise _not_found() from None


@router.post("/topics/{topic_id}/close")
def close_vote(topic_id: str, body: CloseIn, request: Request, store: StoreDep, bridge: BridgeDep, scope: ScopeDep,
               operator: ActingOperatorDep) -> dict[str, Any]:
    """Close the vote: the result goes to every kiosk of the topic; later votes are answered ``closed``."""
    service = _service(request, store, bridge)
    try:
        service.close_vote(topic_id, resolution=body.resolution, notice_id=body.notice_id, scope=scope.code,
                           by=operator.id)
    except LookupError:
        raise _not_found() from None
    except DeliberationError as exc:
        raise _conflict(exc) from None
    return service.topic(topic_id, scope.code)


@router.get("/comments", openapi_extra=PERSONAL_READ)
def moderation_queue(request: Request, store: StoreDep, bridge: BridgeDep, scope: ScopeDep) -> list[dict[str, Any]]:
    """Comments waiting for moderation on the operator's topics, newest first."""
    return _service(request, store, bridge).moderation_queue(scope.code)


@router.post("/comments/{comment_id}")
def moderate(comment_id: str, body: ModerateIn, request: Request, store: StoreDep, bridge: BridgeDep,
             scope: ScopeDep, operator: ActingOperatorDep) -> dict[str, Any]:
    """Approve (published to the topic's kiosks) or reject a resident's comment."""
    try:
        moderated = _service(request, store, bridge).moderate(comment_id, approve=body.decision == "approve",
                                                              scope=scope.code, by=operator.id)
    except LookupError:
        raise HTTPException(404, "没有此意见 / no such comment") from None
    except DeliberationError as exc:
        raise _conflict(exc) from None
    note_access(request, comment_id=comment_id)
    return {k: moderated[k] for k in ("record_id", "topic_id", "state", "moderated_by", "moderated_at")}
