"""Notices (居务公开) as the kiosk receives them: the downlink kind ``bulletin`` and its body ``BulletinBody``.

Why a new kind and not more fields on ``NoticeBody``: kiosks decode bodies with ``extra="forbid"``, so a
``notice`` with a category, a version or images would be unreadable on every kiosk built before. A kiosk that does
not know ``bulletin`` keeps the message in its inbox (and confirms it delivered) but never shows it; ``NoticeBody``
stays for old senders. One model serves publish, amend and withdraw: a notice is named by ``notice_id`` and the
kiosk shows only the highest ``version`` of it, and nothing once a body of that version or higher says
``withdrawn``. Images ride inside the body as small JPEGs (base64) rather than being fetched: a kiosk shows notices
offline, and one message is delivered and confirmed as a whole; ``MAX_BULLETIN_IMAGE_BYTES`` ×
``MAX_BULLETIN_IMAGES`` keeps a body far below ``MAX_PAYLOAD_BYTES``. Pure: no I/O.
"""
from __future__ import annotations

from typing import Annotated, Final

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from protocol.messages import DOWNLINK_BODIES, Code, RecordId, Sha256Hex

BULLETIN_KIND: Final = "bulletin"
# 居务 / 财务 / 服务事项 / 办事流程 / 议题公示 / 通知; labels: protocol/labels.py ``notice.*``. Not a Literal on the
# field: a kiosk must not drop a newer hub's notice over a category it does not know (it shows it as general).
NOTICE_CATEGORIES: Final = ("affairs", "finance", "services", "procedures", "topics", "general")
MAX_BULLETIN_IMAGES: Final = 3
MAX_BULLETIN_IMAGE_BYTES: Final = 32 * 1024  # one JPEG, raw: a notice's photo at kiosk-panel size (hub re-encodes)
MAX_BULLETIN_TEXT_CHARS: Final = 4000
_B64 = r"^[A-Za-z0-9+/]*={0,2}$"


class BulletinImage(BaseModel):
    """One image of a notice: a small JPEG (base64) and the SHA-256 of those JPEG bytes."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    sha256: Sha256Hex
    jpeg_b64: Annotated[str, Field(min_length=4, max_length=(MAX_BULLETIN_IMAGE_BYTES + 2) // 3 * 4, pattern=_B64)]


class BulletinBody(BaseModel):
    """Body of a ``DownlinkMessage`` of kind ``bulletin``: one version of a notice (居务公开) for the kiosks.

    The kiosk keeps, per ``notice_id``, the body with the highest ``version`` (a withdrawal of the same version
    wins over its publication); it hides the notice when that body is ``withdrawn`` or ``expires_at`` has passed,
    lists pinned notices first, then the newest ``published_at``, and sends a READ confirmation of the message once
    the notice is on screen."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    notice_id: RecordId
    version: int = Field(ge=1, le=1_000_000)
    withdrawn: bool = False
    category: Annotated[str, Field(pattern=r"^[a-z_]{1,24}$")] = Field(
        default="general", description="one of NOTICE_CATEGORIES; a value the kiosk does not know reads as general")
    title: Annotated[str, Field(min_length=1, max_length=128)]
    text: Annotated[str, Field(max_length=MAX_BULLETIN_TEXT_CHARS)] = ""
    pinned: bool = False
    target_code: Code = Field(description="the unit the notice is for: a grid, a community or a unit above")
    published_at: AwareDatetime
    expires_at: AwareDatetime | None = None
    images: list[BulletinImage] = Field(default_factory=list, max_length=MAX_BULLETIN_IMAGES)

    @model_validator(mode="after")
    def _consistent(self) -> BulletinBody:
        if self.expires_at is not None and self.expires_at <= self.published_at:
            raise ValueError("a notice must expire after it is published")
        if self.withdrawn and self.images:
            raise ValueError("a withdrawal carries no images")
        return self


# Registered here, not in the dict's literal in messages.py: this module imports messages, not the other way round.
DOWNLINK_BODIES[BULLETIN_KIND] = BulletinBody

__all__ = ["BULLETIN_KIND", "MAX_BULLETIN_IMAGES", "MAX_BULLETIN_IMAGE_BYTES", "MAX_BULLETIN_TEXT_CHARS",
           "NOTICE_CATEGORIES", "BulletinBody", "BulletinImage"]
