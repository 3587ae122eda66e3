"""Patrol checkpoints (巡查点) and their hazard checklists, seen by the patrol tablet.

- ``CheckpointList``: body of a downlink of kind ``checkpoints`` to the tablets of a grid: its checkpoints (name,
  place, radius, checklist items) and the optional route order. A later list replaces an earlier one.
- ``CheckpointVisit``: the uplink record of kind ``checkpoint`` a tablet sends when the volunteer scanned a
  checkpoint's QR (text ``GLCP:{checkpoint_id}``, :func:`checkpoint_qr_text`) and ran its checklist: the GPS fix
  at the scan, each item's result and, for a failed item, the id of the IncidentReport the tablet filed for it
  (with the photo: so the failed item becomes a case the usual way). ``patrol_started_at`` names the patrol it
  belongs to (the tablet's PatrolLog with that start). The hub decides whether the fix was within the radius.
- ``HoursBalance``: body of a downlink of kind ``hours`` to the volunteer's own devices: their hour balance.
"""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from protocol.messages import DOWNLINK_BODIES, Code, Note, Position, Record, RecordId

QR_PREFIX = "GLCP:"
CheckpointId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,36}$")]
ItemCode = Annotated[str, Field(pattern=r"^[a-z0-9_]{1,32}$")]
MAX_CHECKLIST = 20
MAX_CHECKPOINTS = 200


def checkpoint_qr_text(checkpoint_id: str) -> str:
    """What a checkpoint's printed QR code holds."""
    return f"{QR_PREFIX}{checkpoint_id}"


def parse_checkpoint_qr(text: str) -> str | None:
    """The checkpoint id in a scanned QR text, or None for any other QR (a resident card, a URL)."""
    text = text.strip()
    if not text.startswith(QR_PREFIX):
        return None
    ident = text[len(QR_PREFIX):]
    return ident if 0 < len(ident) <= 36 and all(c.isalnum() or c in "_-" for c in ident) else None


class ChecklistItem(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    code: ItemCode
    text: Annotated[str, Field(min_length=1, max_length=64)] = Field(description="zh-CN, e.g. 消防通道畅通")
    text_en: Annotated[str, Field(max_length=128)] = ""
    category: Code = Field(description="the case category a failed item is reported under")


class CheckpointInfo(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: CheckpointId
    name: Annotated[str, Field(min_length=1, max_length=64)]
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    radius_m: float = Field(gt=0, le=1000)
    checklist: list[ChecklistItem] = Field(default_factory=list, max_length=MAX_CHECKLIST)


class CheckpointList(BaseModel):
    """Body of a ``DownlinkMessage`` of kind ``checkpoints``: the grid's checkpoints and its route order."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    grid_code: Code
    checkpoints: list[CheckpointInfo] = Field(default_factory=list, max_length=MAX_CHECKPOINTS)
    route: list[CheckpointId] = Field(default_factory=list, max_length=MAX_CHECKPOINTS,
                                      description="suggested order (an admin's route); empty = any order")


class ChecklistResult(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    item: ItemCode
    ok: bool
    report_id: RecordId | None = Field(default=None, description="the IncidentReport filed for a failed item")

    @model_validator(mode="after")
    def _report_only_when_failed(self) -> ChecklistResult:
        if self.ok and self.report_id is not None:
            raise ValueError("a passed item files no report")
        return self


class CheckpointVisit(Record):
    """A checkpoint scanned on patrol and its checklist run (see the module doc)."""

    kind: Literal["checkpoint"] = "checkpoint"
    checkpoint_id: CheckpointId
    position: Position | None = Field(default=None, description="the GPS fix at the scan; none = no fix (flagged)")
    results: list[ChecklistResult] = Field(default_factory=list, max_length=MAX_CHECKLIST)
    patrol_started_at: AwareDatetime | None = Field(default=None, description="the start of the patrol it was on")
    note: Note = ""


class HoursBalance(BaseModel):
    """Body of a ``DownlinkMessage`` of kind ``hours``: the volunteer's hour ledger balance, in half-hour units
    (信用时 system-logged from patrols, 荣誉时 certified by organisers, 兑换 redeemed). Never anyone else's."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    person_id: Annotated[str, Field(min_length=1, max_length=64)]
    system_units: int = Field(ge=0)
    certified_units: int = Field(ge=0)
    redeemed_units: int = Field(ge=0)
    balance_units: int
    as_of: AwareDatetime


DOWNLINK_BODIES["checkpoints"] = CheckpointList
DOWNLINK_BODIES["hours"] = HoursBalance
