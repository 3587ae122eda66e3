"""回访 after a case closes: the hub asks the resident who reported it (by card) at the community's kiosks.

- ``FollowupPrompt``: body of a downlink of kind ``followup`` to each kiosk of the case's community. Keyed by the
  reporter's ``resident_key`` (already a keyed hash of the card: no identity in it) and carrying no free text of
  the case beyond its reference, category and public title. ``withdrawn=true`` takes the prompt back (answered
  elsewhere, by an operator's call, or the window is over).
- ``FollowupAnswer``: the uplink record of kind ``followup`` a kiosk sends with the resident's answer (from the
  prompt on a card tap, or from 查进度). ``words`` are the resident's own and private (they may hold personal data).
"""
from __future__ import annotations

from enum import Enum
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from protocol.messages import DOWNLINK_BODIES, MAX_NOTE_CHARS, Code, Record, RecordId

ResidentKey = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
CaseReference = Annotated[str, Field(min_length=4, max_length=32, pattern=r"^[A-Za-z0-9-]+$")]
CaseId = Annotated[str, Field(min_length=1, max_length=36, pattern=r"^[A-Za-z0-9-]+$")]


class FollowupChoice(str, Enum):
    """The resident's verdict; 满意率 = (satisfied + basically_satisfied) / answered."""

    SATISFIED = "satisfied"  # 满意
    BASICALLY_SATISFIED = "basically_satisfied"  # 基本满意
    DISSATISFIED = "dissatisfied"  # 不满意: the case is reopened as 返工


class FollowupPrompt(BaseModel):
    """Body of a ``DownlinkMessage`` of kind ``followup``: ask the resident whose card hashes to ``resident_key``,
    on their next tap at this kiosk, whether they are satisfied with the closed case ``reference``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    case_id: CaseId
    reference: CaseReference
    resident_key: ResidentKey
    category: Code
    category_name: Annotated[str, Field(max_length=64)] = ""
    category_name_en: Annotated[str, Field(max_length=128)] = ""
    title: Annotated[str, Field(max_length=128)] = Field(default="", description="the case's public title only")
    closed_at: AwareDatetime
    due_at: AwareDatetime = Field(description="after this the prompt is no longer shown")
    withdrawn: bool = Field(default=False, description="true: forget the prompt for this case")


class FollowupAnswer(Record):
    """A resident's answer to a follow-up, given at a kiosk (``via`` prompt: on a card tap; lookup: at 查进度).
    The hub takes the first valid answer per case and ignores later ones (recorded, receipted, not applied)."""

    kind: Literal["followup"] = "followup"
    case_id: CaseId
    reference: CaseReference
    resident_key: ResidentKey | None = Field(default=None, description="the tapping card's key (prompt answers)")
    answer: FollowupChoice
    words: Annotated[str, Field(max_length=MAX_NOTE_CHARS)] = Field(default="", description="private")
    via: Literal["prompt", "lookup"] = "prompt"
    prompt_id: RecordId | None = Field(default=None, description="the downlink that asked, when there was one")


DOWNLINK_BODIES["followup"] = FollowupPrompt
