"""The case categories (部件 / 事件, CJ/T 214) for the dashboard's pickers and lists: ``GET /api/categories`` →
every category with its names in both languages, kind, major class, time limit, department and whether it is
enabled or urgent (the pages show names, never codes).

The taxonomy is the same for the whole deployment, so only an admin scoped to the top of the hierarchy changes it:
``PATCH /api/categories/{code}`` enables or disables a category, sets its time limit (working hours or days), its
handling department and whether its reports raise the urgent alarm by default (hub/org/taxonomy.py; the CLI
``gridline hub org`` does the same). Each change is in the access log with the values before and after; the
kiosks get the new list from the taxonomy sync, new cases the new time limit (cases filed earlier keep theirs).
"""
from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from hub.api.deps import StoreDep
from hub.auth.access_log import note_access
from hub.auth.http import AdminDep, ScopeDep
from hub.org import taxonomy
from hub.org.taxonomy import Category, TaxonomyError, list_categories
from hub.store.vocabulary import TIME_LIMIT_UNITS

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

    @classmethod
    def of(cls, c: Category) -> CategoryOut:
        keep = set(cls.model_fields)
        return cls(**{k: v for k, v in asdict(c).items() if k in keep})


class CategoryPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool | None = None
    time_limit_value: int | None = Field(default=None, ge=1, le=10000)
    time_limit_unit: str | None = Field(default=None, description="working_hours | working_days")
    department: str | None = Field(default=None, max_length=64, description='"" clears it')
    urgent: bool | None = Field(default=None, description="its reports raise the urgent alarm (default urgency)")

    @model_validator(mode="after")
    def _limit_whole(self) -> CategoryPatch:
        if (self.time_limit_value is None) != (self.time_limit_unit is None):
            raise ValueError("give time_limit_value and time_limit_unit together")
        if self.time_limit_unit is not None and self.time_limit_unit not in TIME_LIMIT_UNITS:
            raise ValueError(f"time_limit_unit must be one of {', '.join(TIME_LIMIT_UNITS)}")
        return self


class LevelsOut(BaseModel):
    yellow_at: float = Field(description="a case turns yellow (黄牌) once this share of its time limit is used")
    red_at: float = Field(description="... and red (红牌) at this share; past the deadline it is red and escalates")


@router.get("/levels", response_model=LevelsOut)
def levels(request: Request) -> LevelsOut:
    """When a category's time limit turns its cases yellow and red (the deployment's three-colour policy)."""
    policy = request.app.state.case_service.level_policy
    return LevelsOut(yellow_at=policy.yellow_at, red_at=policy.red_at)


@router.get("", response_model=list[CategoryOut])
def categories(store: StoreDep, enabled_only: bool = False) -> list[CategoryOut]:
    """Every category (``enabled_only``: only those a case may be filed under), by code."""
    return [CategoryOut.of(c) for c in list_categories(store, enabled_only=enabled_only)]


@router.patch("/{code}", response_model=CategoryOut)
def edit_category(code: str, body: CategoryPatch, request: Request, store: StoreDep, admin: AdminDep,
                  scope: ScopeDep) -> CategoryOut:
    """Admins of the top unit: enable/disable, time limit, department, urgent by default."""
    if not scope.top:
        raise HTTPException(403, {"code": "not_top", "zh": "案件类别对全部辖区生效，只有最高层级的管理员可以修改",
                                  "en": "the categories apply to the whole deployment: only an admin scoped to the "
                                        "top of the hierarchy may change them"})
    before = taxonomy.get_category(store, code)
    if before is None:
        raise HTTPException(404, f"no category {code}")
    limit = None if body.time_limit_value is None or body.time_limit_unit is None else (
        body.time_limit_value, body.time_limit_unit)
    try:
        taxonomy.edit_category(store, code, enabled=body.enabled, time_limit=limit, department=body.department,
                               urgent=body.urgent)
    except TaxonomyError as exc:
        raise HTTPException(422, str(exc)) from None
    after = taxonomy.get_category(store, code)
    assert after is not None
    changed = sorted(body.model_fields_set)  # what the admin set, before and after (unchanged ones too)
    note_access(request, before={k: getattr(before, k) for k in changed},
                after={k: getattr(after, k) for k in changed})
    return CategoryOut.of(after)
