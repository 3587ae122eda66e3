"""What the control-room map and device list draw, within the signed-in operator's subtree: grids (GeoJSON)
with their open-case load, open case pins, terminals with presence and recent positions (short tails), the
people one may dispatch to, and the base-map settings. Live changes come over ``/api/live/events``."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request

from hub.api.deps import StoreDep
from hub.auth.http import OperatorDep, ScopeDep
from hub.auth.scope import OperatorScope
from hub.cases import states, views_repo
from hub.org import repo as org_repo
from hub.store import devices as device_rows
from hub.web.feed import recent_tails

router = APIRouter(prefix="/map", tags=["map"])

LEVEL_RANK = {"blue": 1, "yellow": 2, "red": 3}
OPEN_STATES = tuple(states.OPEN) + ("suspended",)
STALE_AFTER_S = 180  # three missed heartbeats (terminals beat every 60 s): shown as stale


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


@router.get("/config")
def map_config(request: Request, operator: OperatorDep) -> dict[str, Any]:
    """Base map: ``tile_url`` empty = plain background; ``tile_crs`` gcj02 = shift WGS-84 for display."""
    settings = request.app.state.settings
    return {"tile_url": settings.map_tile_url, "tile_crs": settings.map_tile_crs,
            "attribution": settings.map_tile_attribution, "stale_after_s": STALE_AFTER_S,
            "scope_code": operator.scope_code}


def _within(scope: OperatorScope) -> str | None:
    """The unit whose subtree bounds what is drawn (None: a root unit's operator, who sees everything)."""
    return None if scope.top else scope.code


@router.get("/grids")
def map_grids(scope: ScopeDep, store: StoreDep) -> dict[str, Any]:
    """Grids as a GeoJSON FeatureCollection; properties carry open/overdue counts and the highest open level."""
    now = store.clock()
    with store.read() as conn:
        grids = org_repo.units_listed(conn, level="grid", within=_within(scope))
        load = views_repo.open_load(conn, OPEN_STATES, tuple(states.OPEN), now, scope.case_units)
    per_grid: dict[str | None, dict[str, Any]] = {}
    for grid_code, level, n, late in load:
        entry = per_grid.setdefault(grid_code, {"open": 0, "overdue": 0, "max_level": None, "by_level": {}})
        entry["open"] += n
        entry["overdue"] += late
        entry["by_level"][level] = n
        if entry["max_level"] is None or LEVEL_RANK[level] > LEVEL_RANK[entry["max_level"]]:
            entry["max_level"] = level
    features = []
    for grid in grids:
        if not grid.geometry:
            continue
        stats = per_grid.get(grid.code, {"open": 0, "overdue": 0, "max_level": None, "by_level": {}})
        features.append({"type": "Feature", "geometry": grid.geometry,
                         "properties": {"code": grid.code, "name": grid.name, "parent": grid.parent_code, **stats}})
    return {"type": "FeatureCollection", "features": features}


@router.get("/cases")
def map_cases(scope: ScopeDep, store: StoreDep) -> list[dict[str, Any]]:
    """Open (and suspended) cases in scope with where they are: the map's pins and the task board's rows."""
    now = store.clock()
    with store.read() as conn:
        rows = views_repo.open_cases_named(conn, OPEN_STATES, scope.case_units)
    out = []
    for r, name_zh, name_en, who in rows:
        remaining = (r.deadline - now).total_seconds() if r.deadline is not None and r.state in states.OPEN else None
        out.append({"id": r.id, "state": r.state, "level": r.level, "title": r.title, "note": r.note,
                    "category_code": r.category_code, "category_zh": name_zh, "category_en": name_en,
                    "grid_code": r.grid_code, "community_code": r.community_code, "lat": r.lat, "lon": r.lon,
                    "assignee": r.assignee, "assignee_name": who, "deadline": _iso(r.deadline),
                    "remaining_s": remaining, "overdue": remaining is not None and remaining < 0,
                    "report_count": r.report_count, "flagged_for_review": r.flagged_for_review,
                    "escalation_level": r.escalation_level, "created_at": _iso(r.created_at),
                    "version": r.version})
    return out


@router.get("/devices")
def map_devices(store: StoreDep, scope: ScopeDep) -> dict[str, Any]:
    """Terminals bound in scope (top-of-hierarchy operators: also unbound ones the hub has heard from) with presence,
    heartbeat
    figures and their last few positions; ``now`` lets the page judge staleness against the hub's clock."""
    now = store.clock()
    with store.read() as conn:
        by_id = {b.device_id: b for b in org_repo.bindings_within(conn, _within(scope))}
        ids = set(by_id)
        seen = {r.id: r for r in device_rows.listed(conn)}
        tails = recent_tails(conn, now)
    out = []
    unbound = [i for i in seen if i not in ids] if scope.top else []
    for device_id in sorted(ids) + sorted(unbound):
        b = by_id.get(device_id)
        d = seen.get(device_id)
        out.append({"id": device_id, "kind": b.kind if b else None, "unit": b.unit_code if b else None,
                    "owner": b.owner_person_id if b else None, "owner_name": b.owner_name if b else None,
                    "owner_role": b.owner_role if b else None,
                    "state": d.state if d else "unknown", "last_seen": _iso(d.last_seen) if d else None,
                    "status_at": _iso(d.status_at) if d else None,
                    "outbox_depth": d.outbox_depth if d else None, "photos_pending": d.photos_pending if d else None,
                    "battery_pct": d.battery_pct if d else None, "app_version": d.app_version if d else None,
                    "clock_skew_ms": d.clock_skew_ms if d else None, "tail": tails.get(device_id, [])})
    return {"now": now.isoformat(), "stale_after_s": STALE_AFTER_S, "devices": out}


@router.get("/people")
def map_people(scope: ScopeDep, store: StoreDep) -> list[dict[str, Any]]:
    """People in scope: whom a case can be dispatched or reassigned to."""
    with store.read() as conn:
        found = org_repo.people_within(conn, _within(scope))
    return [{"id": p.id, "name": p.name, "role": p.role, "unit": p.unit_code, "phone": p.phone_device_id}
            for p in found]
