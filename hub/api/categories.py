"""The case categories (部件 / 事件, CJ/T 214) for the dashboard's pickers and lists: ``GET /api/categories`` →
every category with its names in both languages, kind, major class, time limit, department and whether it is
enabled or urgent (the pages show names, never codes). The taxonomy is the same for every operator; admins edit
it with ``gridline hub org`` (hub/org/taxonomy.py)."""
from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter
from pydantic import BaseModel, Field

from hub.api.deps import StoreDep
from hub.org.taxonomy import list_categories

router = APIRouter(prefix="/categories", tags=["categories"])


class CategoryOut(BaseModel):
    code: str = Field(examples=["E0101"])
    kind: str = Field(description="component 部件 | event 事件")
    major_code: str
    minor_code: str
    name_zh: str
    name_en: str
    time_limit_value: int
    time_limit_unit: str = Field(description="working_hours | working_days")
    department: str | None
    urgent: bool = Field(description="a report of it raises the urgent alarm")
    enabled: bool = Field(description="a disabled category cannot be filed (it sends a report to triage)")


@router.get("", response_model=list[CategoryOut])
def categories(store: StoreDep, enabled_only: bool = False) -> list[CategoryOut]:
    """Every category (``enabled_only``: only those a case may be filed under), by code."""
    keep = set(CategoryOut.model_fields)
    return [CategoryOut(**{k: v for k, v in asdict(c).items() if k in keep})
            for c in list_categories(store, enabled_only=enabled_only)]
