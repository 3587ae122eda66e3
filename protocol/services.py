"""Community services (issue 18): the home visit (入户走访, 一表通) a grid worker records on a phone or tablet.

- ``HomeVisit``: the uplink record of kind ``visit``, outboxed like every record (made offline, sent when the link
  is back, receipted after the hub stored it). The household is a keyed hash (``household_key``, like a resident
  card's), the address a unit code from the unit tree (grid, building); who was met is a category, never a name;
  ``private_note`` is free text kept private at the hub (shown only to the roles that handle the visit's cases,
  never to Open311, every view in the access log). Each need (legal / mediation / welfare / repair / other, with
  the level that must solve it: 网格 / 社区 / 街道) becomes one service case at the hub, linked to the visit.
"""
from __future__ import annotations

from enum import Enum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from protocol.messages import MAX_NOTE_CHARS, Code, Record

MAX_VISIT_NEEDS = 8
UnitCode = Annotated[str, Field(pattern=r"^[0-9]{6,18}$")]
HouseholdKey = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class NeedKind(str, Enum):
    LEGAL = "legal"  # 法律
    MEDIATION = "mediation"  # 调解
    WELFARE = "welfare"  # 民生救助
    REPAIR = "repair"  # 维修
    OTHER = "other"  # 其他


class NeedLevel(str, Enum):
    """Who must solve the need (法律需求日记: 分级)."""

    GRID = "grid"  # 网格
    COMMUNITY = "community"  # 社区
    STREET = "street"  # 街道


class VisitMet(str, Enum):
    RESIDENT = "resident"  # 本人
    FAMILY = "family"  # 家属
    TENANT = "tenant"  # 租户
    NOBODY = "nobody"  # 未遇


class VisitNeed(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: NeedKind
    level: NeedLevel = NeedLevel.GRID
    note: Annotated[str, Field(max_length=200)] = Field(default="", description="private, like the visit's note")


class HomeVisit(Record):
    """One home visit, recorded once on the device; the hub opens one service case per need."""

    kind: Literal["visit"] = "visit"
    grid_code: Code | None = None
    building_code: UnitCode | None = Field(default=None, description="the building (楼栋) from the unit tree")
    household_key: HouseholdKey | None = Field(default=None, description="keyed hash of the household's number")
    met: VisitMet = VisitMet.RESIDENT
    private_note: Annotated[str, Field(max_length=MAX_NOTE_CHARS)] = Field(default="", description="private")
    needs: list[VisitNeed] = Field(default_factory=list, max_length=MAX_VISIT_NEEDS)
