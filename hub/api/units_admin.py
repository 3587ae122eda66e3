"""Units and grids for admins (the 单元网格 page): the unit tree of the admin's scope, new units and buildings, renames,
grid and community outlines checked for overlaps and gaps, GeoJSON import (WGS-84; GCJ-02 / BD-09 converted when the
file says so) and export. Admins only; every unit named - in the path or in the body, a parent, each unit of an
imported file - must be inside the admin's scope (else 404, as if absent). State-changing calls are written to the
access log by its middleware (with the unit codes noted here). After an outline changes, routing follows at once on
this worker and, through the ``grids`` bell (relayed on PostgreSQL), on every other one."""
from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Body, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from hub.auth.access_log import note_access
from hub.auth.http import AdminDep, ScopeDep
from hub.auth.scope import OperatorScope
from hub.jobs.wakeup import ring_jobs
from hub.org import units_admin
from hub.org.geojson_io import OrgDataError
from hub.org.outlines import OutlineReport, report_json
from hub.org.repo import Unit
from hub.org.units_admin import UnitAdminError

router = APIRouter(prefix="/units", tags=["units admin"])

_STATUS = {"not_found": 404, "exists": 409, "invalid": 422, "overlap": 409}


class UnitOut(BaseModel):
    code: str
    level: str
    name: str
    parent_code: str | None
    abbr: str | None = None
    geometry: dict[str, Any] | None = None

    @classmethod
    def of(cls, unit: Unit) -> UnitOut:
        return cls(code=unit.code, level=unit.level, name=unit.name, parent_code=unit.parent_code, abbr=unit.abbr,
                   geometry=unit.geometry)


class CreateIn(BaseModel):
    level: Literal["street", "community", "grid", "building"]
    name: str = Field(min_length=1, max_length=64)
    parent_code: str = Field(max_length=18)
    code: str | None = Field(default=None, max_length=18, description="empty: the next free serial under the parent")


class RenameIn(BaseModel):
    name: str = Field(min_length=1, max_length=64)


class OutlineIn(BaseModel):
    geometry: dict[str, Any] = Field(description="GeoJSON Polygon or MultiPolygon, WGS-84 lon/lat")


def _refused(exc: UnitAdminError) -> HTTPException:
    detail: dict[str, Any] = {"code": exc.kind, "zh": exc.zh, "en": exc.en, "message": exc.en}
    if exc.report is not None:
        detail["report"] = report_json(exc.report)
    return HTTPException(_STATUS.get(exc.kind, 422), detail)


def _data_error(exc: OrgDataError) -> HTTPException:
    return HTTPException(422, {"code": "invalid_file", "errors": exc.errors[:50], "message": str(exc)})


def _within(scope: OperatorScope) -> str | None:
    return None if scope.top else scope.code


def _outline_changed(request: Request) -> None:
    """Routing by the new outline: now on this worker, and the other workers rung."""
    intake = getattr(request.app.state, "intake", None)
    if intake is not None:
        intake.forget_router()
    ring_jobs(request.app.state, "grids")


@router.get("", response_model=list[UnitOut])
def list_units(request: Request, admin: AdminDep, scope: ScopeDep) -> list[UnitOut]:
    """The scope's units (the scope unit and everything under it), by code, with outlines."""
    return [UnitOut.of(u) for u in units_admin.unit_tree(request.app.state.store, _within(scope))]


@router.post("", response_model=UnitOut, status_code=201)
def create_unit(body: CreateIn, request: Request, admin: AdminDep, scope: ScopeDep) -> UnitOut:
    note_access(request, unit_code=body.code, parent_code=body.parent_code)
    scope.require_unit(body.parent_code)
    try:
        created = units_admin.create_unit(request.app.state.store, level=body.level, name=body.name,
                                          parent=body.parent_code, code=body.code or None,
                                          clock=request.app.state.store.clock)
    except UnitAdminError as exc:
        raise _refused(exc) from None
    note_access(request, unit_code=created.code)
    return UnitOut.of(created)


@router.patch("/{code}", response_model=UnitOut)
def rename_unit(code: str, body: RenameIn, request: Request, admin: AdminDep, scope: ScopeDep) -> UnitOut:
    scope.require_unit(code)
    try:
        return UnitOut.of(units_admin.rename_unit(request.app.state.store, code, body.name,
                                                  clock=request.app.state.store.clock))
    except UnitAdminError as exc:
        raise _refused(exc) from None


def _outline(request: Request, scope: OperatorScope, code: str, geometry: dict[str, Any], save: bool) -> OutlineReport:
    scope.require_unit(code)
    try:
        return units_admin.outline_report(request.app.state.store, code, geometry, save=save,
                                          clock=request.app.state.store.clock)
    except UnitAdminError as exc:
        raise _refused(exc) from None


@router.get("/{code}/outline-report")
def current_report(code: str, request: Request, admin: AdminDep, scope: ScopeDep) -> dict[str, Any]:
    """The overlaps and gaps of a grid's community (or a community) as stored now."""
    scope.require_unit(code)
    try:
        return report_json(units_admin.stored_report(request.app.state.store, code))
    except UnitAdminError as exc:
        raise _refused(exc) from None


@router.post("/{code}/outline/check")
def check_outline(code: str, body: OutlineIn, request: Request, admin: AdminDep, scope: ScopeDep) -> dict[str, Any]:
    """What saving this outline would mean: overlaps (refused) and gaps (warnings), each with its geometry."""
    return report_json(_outline(request, scope, code, body.geometry, save=False))


@router.put("/{code}/outline")
def save_outline(code: str, body: OutlineIn, request: Request, admin: AdminDep, scope: ScopeDep) -> JSONResponse:
    """Save the outline unless it is malformed (422) or overlaps a sibling grid beyond the tolerance (409); the
    answer is the report either way (gaps are warnings and do not stop a save)."""
    report = _outline(request, scope, code, body.geometry, save=True)
    if report.ok:
        _outline_changed(request)
    return JSONResponse(report_json(report), status_code=200 if report.ok else 422 if report.problem else 409)


@router.post("/import")
async def import_units(request: Request, admin: AdminDep, scope: ScopeDep,
                       collection: dict[str, Any] = Body(description="a GeoJSON FeatureCollection of grids, with an "
                                                                     "optional hierarchy member")) -> dict[str, Any]:
    sees = None if await run_in_threadpool(lambda: scope.top) else scope.sees_unit
    features = collection.get("features")
    note_access(request, grids=[str((f.get("properties") or {}).get("code")) for f in features[:100]
                                if isinstance(f, dict) and isinstance(f.get("properties") or {}, dict)]
                if isinstance(features, list) else None)
    try:
        outcome = await run_in_threadpool(units_admin.import_collection, request.app.state.store, collection,
                                          sees=sees, clock=request.app.state.store.clock)
    except OrgDataError as exc:
        raise _data_error(exc) from None
    _outline_changed(request)
    summary = outcome.summary
    return {"created": summary.units_created, "updated": summary.units_updated, "grids": summary.grids,
            "datum": outcome.datum, "skipped": outcome.skipped,
            "gaps": [vars(g) for r in outcome.reports.values() for g in r.gaps]}


@router.get("/export")
def export_units(request: Request, admin: AdminDep, scope: ScopeDep) -> JSONResponse:
    """The scope's grids as GeoJSON (WGS-84) with their hierarchy and buildings: import takes it back unchanged."""
    body = units_admin.export_collection(request.app.state.store, _within(scope))
    name = f"grids-{scope.code}.geojson"
    return JSONResponse(body, media_type="application/geo+json",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
