"""The 1+1+N welfare watch seen by the helpers (白看窗帘晚看灯，早看水电晚看燃气).

- ``HelperObservation``: the uplink record of kind ``observation`` a helper's phone (or a patrol tablet at the
  door) sends: 平安 (``safe``) or 异常 (``abnormal``) for one watched resident, with the signs seen. Made offline
  and judged by its device time (``created_at``): a 平安 made at 08:00 and synced at 20:00 still settles the
  day. The resident is known only by ``resident_key`` (the keyed hash of the card); ``note`` is private.
- ``WatchList``: body of a downlink of kind ``watchlist`` to a helper's phone (and to the patrol tablets of the
  residents' grid, for a visit at the door): today's residents to watch, each by enrolment id, key, the staff's
  non-identifying label and the day's window and deadline (local times).
"""
from __future__ import annotations

from datetime import date
from enum import Enum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from protocol.messages import DOWNLINK_BODIES, Code, Note, Position, Record

ResidentKey = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
HHMM = Annotated[str, Field(pattern=r"^\d{2}:\d{2}$")]
MAX_WATCH_ITEMS = 200


class WatchVerdict(str, Enum):
    SAFE = "safe"  # 平安: the day is settled
    ABNORMAL = "abnormal"  # 异常: a welfare case at once


class WatchSign(str, Enum):
    """What the helper saw (any number of them, or none for a plain 平安 / 异常)."""

    CURTAINS = "curtains"  # 窗帘 (白看窗帘)
    LIGHTS = "lights"  # 灯光 (晚看灯)
    WATER = "water"  # 水表 / 用水 (早看水电)
    POWER = "power"  # 电表 / 用电
    GAS = "gas"  # 燃气 (晚看燃气)
    SPOKE = "spoke"  # 当面或电话交谈过


class HelperObservation(Record):
    """A helper's 平安 / 异常 for one watched resident; ``via`` ``patrol``: a patrol volunteer's visit at the door.
    The hub counts it for the local day of its device time; a device clock ahead of the hub's receive time is not
    believed (the receive time counts instead)."""

    kind: Literal["observation"] = "observation"
    resident_key: ResidentKey = Field(description="keyed hash of the resident's card; never a name or ID number")
    verdict: WatchVerdict
    signs: list[WatchSign] = Field(default_factory=list, max_length=len(WatchSign))
    via: Literal["helper", "patrol"] = "helper"
    note: Note = Field(default="", description="private: may hold personal data")
    position: Position | None = None

    @field_validator("signs")
    @classmethod
    def _unique(cls, value: list[WatchSign]) -> list[WatchSign]:
        if len(set(value)) != len(value):
            raise ValueError("each sign at most once")
        return value


class WatchItem(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    enrolment_id: Annotated[str, Field(min_length=1, max_length=36)]
    resident_key: ResidentKey
    label: Annotated[str, Field(max_length=64)] = Field(default="", description="staff's non-identifying label")
    grid_code: Code
    window_start: HHMM
    deadline: HHMM = Field(description="local time by which some evidence must exist (else a case)")
    role: Literal["primary", "second", "informed", "patrol"] = Field(
        default="primary", description="the receiver's part: a helper of the 1+1+N, or the grid's patrol tablet")


class WatchList(BaseModel):
    """Body of a ``DownlinkMessage`` of kind ``watchlist``: the helper's residents to watch on ``day`` (local);
    a later list replaces an earlier one."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    day: date
    items: list[WatchItem] = Field(default_factory=list, max_length=MAX_WATCH_ITEMS)


DOWNLINK_BODIES["watchlist"] = WatchList
