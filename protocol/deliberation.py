"""议事 (deliberation): a topic the control room opens for the residents of a unit, their comments and their votes.

Downlinks (hub → kiosk): ``DeliberationTopic`` (kind ``deliberation_topic``: the topic, its approved comments, its
vote; a higher ``version`` supersedes the one the kiosk holds), ``VoteAnswer`` (kind ``vote_answer``: what became
of one vote) and ``VoteResult`` (kind ``vote_result``: the counts once the vote is closed).
Uplink records (kiosk → hub): ``DeliberationComment`` (``up/comment``) and ``DeliberationVote`` (``up/vote``).
Residents appear only by ``resident_key`` (the keyed hash of the card, terminal/residents.py); a comment's text is
private until an operator approves it for the public.
"""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from protocol.messages import DOWNLINK_BODIES, Record, RecordId, Sha256Hex

ResidentKey = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
OptionKey = Annotated[str, Field(pattern=r"^[a-z0-9_]{1,16}$")]
MAX_COMMENT_CHARS = 500
MAX_OPTIONS = 10
MAX_PUBLIC_COMMENTS = 50  # the newest approved comments travel with the topic; the dashboard holds them all
MAX_TOPIC_IMAGES = 6

Eligibility = Literal["residents", "representatives"]
VoteStatus = Literal["accepted", "changed", "already_voted", "displaced", "closed", "not_eligible", "invalid"]
TopicState = Literal["open", "closed", "withdrawn"]


class VoteOption(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    key: OptionKey
    label: Annotated[str, Field(min_length=1, max_length=64)]
    label_en: Annotated[str, Field(max_length=128)] = ""


class VoteSpec(BaseModel):
    """The vote of a topic: its options, who may vote and until when (device time of the vote)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    options: list[VoteOption] = Field(min_length=2, max_length=MAX_OPTIONS)
    eligibility: Eligibility = Field(
        default="residents", description="residents: every card; representatives: the cards the topic lists")
    changes_allowed: bool = Field(default=False, description="a resident may change the vote until it closes")
    closes_at: AwareDatetime
    closed: bool = False

    @model_validator(mode="after")
    def _distinct_keys(self) -> VoteSpec:
        if len({o.key for o in self.options}) != len(self.options):
            raise ValueError("option keys must be distinct")
        return self


class PublicComment(BaseModel):
    """A resident's comment an operator approved for the public: its text and when it was made, nobody's key."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: RecordId
    text: Annotated[str, Field(min_length=1, max_length=MAX_COMMENT_CHARS)]
    made_at: AwareDatetime


class DeliberationTopic(BaseModel):
    """Body of a ``DownlinkMessage`` of kind ``deliberation_topic``: one topic as the kiosks show it."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    topic_id: RecordId
    version: int = Field(ge=1, description="a higher version supersedes the topic the kiosk holds")
    state: TopicState = "open"
    title: Annotated[str, Field(min_length=1, max_length=128)]
    background: Annotated[str, Field(max_length=4000)] = ""
    images: list[Sha256Hex] = Field(default_factory=list, max_length=MAX_TOPIC_IMAGES)
    comments_until: AwareDatetime
    vote: VoteSpec | None = None
    comments: list[PublicComment] = Field(default_factory=list, max_length=MAX_PUBLIC_COMMENTS)
    published_at: AwareDatetime


class DeliberationComment(Record):
    """A resident's comment on a topic, made at a kiosk after tapping the card."""

    kind: Literal["comment"] = "comment"
    topic_id: RecordId
    resident_key: ResidentKey
    text: Annotated[str, Field(min_length=1, max_length=MAX_COMMENT_CHARS)]


class DeliberationVote(Record):
    """A resident's vote on a topic's vote, made at a kiosk after tapping the card. The hub keeps one per
    (topic, resident_key): the first by device time (ties: record id), or the last when changes are allowed."""

    kind: Literal["vote"] = "vote"
    topic_id: RecordId
    resident_key: ResidentKey
    option: OptionKey


class VoteAnswer(BaseModel):
    """Body of a ``DownlinkMessage`` of kind ``vote_answer``: what became of one ``DeliberationVote``.

    ``accepted``: counted; ``changed``: counted, replacing this card's earlier vote; ``already_voted``: this card's
    vote made earlier (here or at another kiosk) is the one counted; ``displaced``: this vote had been accepted, but an
    earlier vote of the same card arrived later and is counted instead; ``closed``: the vote had closed;
    ``not_eligible``: the card may not vote on this topic; ``invalid``: unknown topic or option."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    vote_id: RecordId
    topic_id: RecordId
    status: VoteStatus
    answered_at: AwareDatetime


class OptionCount(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    option: OptionKey
    count: int = Field(ge=0)


class VoteResult(BaseModel):
    """Body of a ``DownlinkMessage`` of kind ``vote_result``: the closed vote's counts, one per card.
    ``eligible`` and ``turnout`` are absent when the number of eligible cards is not known (all residents)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    topic_id: RecordId
    counts: list[OptionCount] = Field(max_length=MAX_OPTIONS)
    voters: int = Field(ge=0)
    eligible: int | None = Field(default=None, ge=0)
    turnout: float | None = Field(default=None, ge=0, le=1)
    resolution: Annotated[str, Field(max_length=1000)] = ""
    notice_id: Annotated[str, Field(max_length=64)] | None = None
    closed_at: AwareDatetime


DOWNLINK_BODIES["deliberation_topic"] = DeliberationTopic
DOWNLINK_BODIES["vote_answer"] = VoteAnswer
DOWNLINK_BODIES["vote_result"] = VoteResult
