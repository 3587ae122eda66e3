"""巡查点: checkpoints (admin-defined, per grid: QR, radius, checklist), a route per grid, the patrol sessions with
the checkpoints they visited, the missed checkpoints of a period and each grid's coverage. Everything in the
operator's subtree (another grid's checkpoint is 404); defining checkpoints and routes is for admins."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from hub.api.deps import StoreDep
from hub.auth.http import AdminDep, ScopeDep
from hub.devices.qr import qr_png
from hub.patrols import coverage as cover
from hub.patrols.checkpoints import Checkpoint, CheckpointError, CheckpointRegistry
from protocol import ChecklistItem

router = APIRouter(prefix="/patrols", tags=["patrols"])


class CheckpointIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    grid_code: str
    name: str = Field(min_length=1, max_length=64, examples=["3栋东门"])
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    radius_m: float = Field(default=30, ge=5, le=1000)
    checklist: list[ChecklistItem] | None = Field(default=None, max_length=20,
                                                  description="default: fire lane, e-bike charging, gas")


class CheckpointOut(BaseModel):
    id: str
    grid_code: str
    name: str
    lat: float
    lon: float
    radius_m: float
    checklist: list[ChecklistItem]
    active: bool
    qr_text: str
    created_by: str
    created_at: datetime

    @classmethod
    def of(cls, c: Checkpoint) -> CheckpointOut:
        return cls(**{k: getattr(c, k) for k in cls.model_fields})


class RouteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    checkpoint_ids: list[str] = Field(max_length=200)


class CoverageOut(BaseModel):
    grid_code: str
    checkpoints: int
    visited: int
    share: float
    flagged_visits: int
    failed_items: int
    sessions: int


class SessionOut(BaseModel):
    record_id: str
    device_id: str
    person_id: str | None
    grid_code: str | None
    started_at: datetime
    ended_at: datetime
    distance_m: float
    fixes: int
    checkpoint_ids: list[str]
    units: int = Field(description="half-hour units credited to the volunteer")


def _registry(store) -> CheckpointRegistry:
    return CheckpointRegistry(store, clock=store.clock)


def _period(since: datetime | None, until: datetime | None, store) -> tuple[datetime, datetime]:
    until = until or store.clock()
    return since or until - timedelta(days=7), until


Since = Annotated[AwareDatetime | None, Query(description="default: a week before until")]
Until = Annotated[AwareDatetime | None, Query(description="default: now")]
Unit = Annotated[str | None, Query(description="a unit in your scope (default: all of it)")]


@router.post("/checkpoints", status_code=201, response_model=CheckpointOut)
def create_checkpoint(body: CheckpointIn, store: StoreDep, admin: AdminDep, scope: ScopeDep) -> CheckpointOut:
    """Define a checkpoint (print its QR from ``/patrols/checkpoints/{id}/qr.png``); the grid's tablets get it."""
    scope.require_unit(body.grid_code)
    try:
        made = _registry(store).create(body.grid_code, body.name, body.lat, body.lon, body.radius_m,
                                       admin.person_id or admin.username, body.checklist)
    except CheckpointError as bad:
        zh, _, en = str(bad).partition(" / ")
        raise HTTPException(422, detail={"code": "bad_checkpoint", "zh": zh, "en": en or zh}) from None
    return CheckpointOut.of(made)


@router.get("/checkpoints", response_model=list[CheckpointOut])
def list_checkpoints(store: StoreDep, scope: ScopeDep, unit: Unit = None) -> list[CheckpointOut]:
    visible, under = scope.visible_part(unit)
    return [CheckpointOut.of(c) for c in _registry(store).listed(under=under)] if visible else []


def _checkpoint(store, checkpoint_id: str, scope) -> Checkpoint:
    found = _registry(store).get(checkpoint_id)
    if found is None:
        raise HTTPException(404, f"no checkpoint {checkpoint_id}")
    scope.require_unit(found.grid_code)
    return found


@router.get("/checkpoints/{checkpoint_id}/qr.png", response_class=Response)
def checkpoint_qr(checkpoint_id: str, store: StoreDep, scope: ScopeDep) -> Response:
    """The checkpoint's QR code to print and fix at the spot (it holds ``GLCP:{id}`` only)."""
    found = _checkpoint(store, checkpoint_id, scope)
    return Response(qr_png(found.qr_text, scale=10), media_type="image/png")


@router.delete("/checkpoints/{checkpoint_id}", status_code=204)
def retire_checkpoint(checkpoint_id: str, store: StoreDep, admin: AdminDep, scope: ScopeDep) -> Response:
    _checkpoint(store, checkpoint_id, scope)
    _registry(store).retire(checkpoint_id)
    return Response(status_code=204)


@router.put("/routes/{grid_code}", response_model=RouteIn)
def set_route(grid_code: str, body: RouteIn, store: StoreDep, admin: AdminDep, scope: ScopeDep) -> RouteIn:
    """The grid's suggested route: an order of its checkpoints (optional)."""
    scope.require_unit(grid_code)
    try:
        ids = _registry(store).set_route(grid_code, body.checkpoint_ids, admin.person_id or admin.username)
    except CheckpointError as bad:
        zh, _, en = str(bad).partition(" / ")
        raise HTTPException(422, detail={"code": "bad_route", "zh": zh, "en": en or zh}) from None
    return RouteIn(checkpoint_ids=ids)


@router.get("/missed", response_model=list[CheckpointOut])
def missed_checkpoints(store: StoreDep, scope: ScopeDep, unit: Unit = None, since: Since = None,
                       until: Until = None) -> list[CheckpointOut]:
    """Checkpoints nobody visited within their radius in the period (default: the last 7 days)."""
    visible, under = scope.visible_part(unit)
    start, end = _period(since, until, store)
    return [CheckpointOut.of(c) for c in cover.missed(store, under, start, end)] if visible else []


@router.get("/coverage", response_model=list[CoverageOut])
def grid_coverage(store: StoreDep, scope: ScopeDep, unit: Unit = None, since: Since = None,
                  until: Until = None) -> list[CoverageOut]:
    """Per grid: checkpoints, how many were visited within their radius in the period (default: 7 days)."""
    visible, under = scope.visible_part(unit)
    start, end = _period(since, until, store)
    return [CoverageOut(share=round(g.share, 3), **{k: getattr(g, k) for k in CoverageOut.model_fields
                                                    if k != "share"})
            for g in cover.coverage(store, under, start, end)] if visible else []


@router.get("/sessions", response_model=list[SessionOut])
def patrol_sessions(store: StoreDep, scope: ScopeDep, unit: Unit = None, since: Since = None,
                    until: Until = None) -> list[SessionOut]:
    """Patrol sessions (start, end, track summary, checkpoints visited, hours credited) in the period."""
    visible, under = scope.visible_part(unit)
    start, end = _period(since, until, store)
    return [SessionOut(**s) for s in cover.sessions(store, under, start, end)
            if s["grid_code"] is None or scope.sees_unit(s["grid_code"])] if visible else []
