"""What the control-room map and device list draw, within the signed-in operator's subtree: grids (GeoJSON)
with their open-case load, open case pins, terminals with presence and recent positions (short tails), the
people one may dispatch to, and the base-map settings. Live changes come over ``/api/live/events``."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request

from hub.auth.http import OperatorDep, ScopeDep
from hub.cases import states
from hub.store.tables import cases, categories, device_bindings, devices, people, units
from hub.web.feed import case_in_scope, recent_tails
from hub.api.deps import StoreDep

router = APIRouter(prefix="/map", tags=["map"])

LEVEL_RANK = {"blue": 1, "yellow": 2, "red": 3}
OPEN_STATES = tuple(states.OPEN) + ("suspended",)
STALE_AFTER_S = 180  # three missed heartbeats (terminals beat every 60 s): shown as stale


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _in_scope(column, scope_code: str):
    return column.startswith(scope_code, autoescape=True)


@router.get("/config")
def map_config(request: Request, operator: OperatorDep) -> dict[str, Any]:
    """Base map: ``tile_url`` empty = plain background; ``tile_crs`` gcj02 = shift WGS-84 for display."""
    settings = request.app.state.settings
    return {"tile_url": settings.map_tile_url, "tile_crs": settings.map_tile_crs,
            "attribution": settings.map_tile_attribution, "stale_after_s": STALE_AFTER_S,
            "scope_code": operator.scope_code}


@router.get("/grids")
def map_grids(operator: OperatorDep, store: StoreDep) -> dict[str, Any]:
    """Grids as a GeoJSON FeatureCollection; properties carry open/overdue counts and the highest open level."""
    now = store.clock()
    overdue = sa.and_(cases.c.deadline.is_not(None), cases.c.deadline < now, cases.c.state.in_(states.OPEN))
    with store.engine.connect() as conn:
        grid_rows = conn.execute(sa.select(units).where(units.c.level == "grid",
                                                        _in_scope(units.c.code, operator.scope_code))
                                 .order_by(units.c.code)).all()
        load = conn.execute(sa.select(cases.c.grid_code, cases.c.level, sa.func.count().label("n"),
                                      sa.func.sum(sa.case((overdue, 1), else_=0)).label("late"))
                            .where(cases.c.state.in_(OPEN_STATES), case_in_scope(operator.scope_code))
                            .group_by(cases.c.grid_code, cases.c.level)).all()
    per_grid: dict[str, dict[str, Any]] = {}
    for grid_code, level, n, late in load:
        entry = per_grid.setdefault(grid_code, {"open": 0, "overdue": 0, "max_level": None, "by_level": {}})
        entry["open"] += n
        entry["overdue"] += int(late or 0)
        entry["by_level"][level] = n
        if entry["max_level"] is None or LEVEL_RANK[level] > LEVEL_RANK[entry["max_level"]]:
            entry["max_level"] = level
    features = []
    for row in grid_rows:
        if not row.geometry:
            continue
        stats = per_grid.get(row.code, {"open": 0, "overdue": 0, "max_level": None, "by_level": {}})
        features.append({"type": "Feature", "geometry": json.loads(row.geometry),
                         "properties": {"code": row.code, "name": row.name, "parent": row.parent_code, **stats}})
    return {"type": "FeatureCollection", "features": features}


@router.get("/cases")
def map_cases(operator: OperatorDep, store: StoreDep) -> list[dict[str, Any]]:
    """Open (and suspended) cases in scope with where they are: the map's pins and the task board's rows."""
    now = store.clock()
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(cases, categories.c.name_zh, categories.c.name_en, people.c.name.label("who"))
                            .outerjoin(categories, categories.c.code == cases.c.category_code)
                            .outerjoin(people, people.c.id == cases.c.assignee)
                            .where(cases.c.state.in_(OPEN_STATES), case_in_scope(operator.scope_code))
                            .order_by(cases.c.created_at.desc()).limit(2000)).all()
    out = []
    for r in rows:
        remaining = (r.deadline - now).total_seconds() if r.deadline is not None and r.state in states.OPEN else None
        out.append({"id": r.id, "state": r.state, "level": r.level, "title": r.title, "note": r.note,
                    "category_code": r.category_code, "category_zh": r.name_zh, "category_en": r.name_en,
                    "grid_code": r.grid_code, "community_code": r.community_code, "lat": r.lat, "lon": r.lon,
                    "assignee": r.assignee, "assignee_name": r.who, "deadline": _iso(r.deadline),
                    "remaining_s": remaining, "overdue": remaining is not None and remaining < 0,
                    "report_count": r.report_count, "flagged_for_review": r.flagged_for_review,
                    "escalation_level": r.escalation_level, "created_at": _iso(r.created_at),
                    "version": r.version})
    return out


@router.get("/devices")
def map_devices(operator: OperatorDep, store: StoreDep, scope: ScopeDep) -> dict[str, Any]:
    """Terminals bound in scope (top-of-hierarchy operators: also unbound ones the hub has heard from) with presence, heartbeat
    figures and their last few positions; ``now`` lets the page judge staleness against the hub's clock."""
    now = store.clock()
    owner = people.alias("owner")
    with store.engine.connect() as conn:
        bound = conn.execute(sa.select(device_bindings, owner.c.name.label("owner_name"),
                                       owner.c.role.label("owner_role"))
                             .outerjoin(owner, owner.c.id == device_bindings.c.owner_person_id)
                             .where(_in_scope(device_bindings.c.unit_code, operator.scope_code))).all()
        by_id = {b.device_id: b for b in bound}
        ids = set(by_id)
        seen = {r.id: r for r in conn.execute(sa.select(devices))}
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
def map_people(operator: OperatorDep, store: StoreDep) -> list[dict[str, Any]]:
    """People in scope: whom a case can be dispatched or reassigned to."""
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(people).where(_in_scope(people.c.unit_code, operator.scope_code))
                            .order_by(people.c.unit_code, people.c.id)).all()
    return [{"id": r.id, "name": r.name, "role": r.role, "unit": r.unit_code, "phone": r.phone_device_id}
            for r in rows]
