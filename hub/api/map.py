"""What the control-room map and device list draw, within the signed-in operator's subtree: grids (GeoJSON)
with their case load, case pins, terminals with presence and recent positions (short tails), the people one may
dispatch to, and the base-map settings. Live changes come over ``/api/live/events``.

A case is in one of three phases on the map (``PHASES``): ``open`` - it still needs work (reported, filed,
dispatched, accepted, arrived): these colour the grids; ``suspended`` - stopped, counted apart; ``check`` - resolved
or verified, waiting for the check / closure: shown, never as load. Closed and not-filed cases are not drawn.
Every code comes with its name (category zh/en, grid, community, assignee) and every case with its reference,
so the page needs no other call to say what it draws."""
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
from hub.web.basemaps import basemap_config
from hub.web.feed import evidence_photos, recent_tails, report_photos

router = APIRouter(prefix="/map", tags=["map"])

LEVEL_RANK = {"blue": 1, "yellow": 2, "red": 3}
NEEDS_WORK = ("reported", "filed", "dispatched", "accepted", "arrived")
AWAITING_CHECK = ("resolved", "verified")
PHASES = {**dict.fromkeys(NEEDS_WORK, "open"), "suspended": "suspended", **dict.fromkeys(AWAITING_CHECK, "check")}
OPEN_STATES = tuple(PHASES)  # every state the map draws: states.OPEN and suspended
AFTER_TRANSITIONS = ("resolve", "auto_resolve")  # their evidence: the "after" pictures
STALE_AFTER_S = 180  # three missed heartbeats (terminals beat every 60 s): shown as stale


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


@router.get("/config")
def map_config(request: Request, operator: OperatorDep) -> dict[str, Any]:
    """Base map: ``basemap`` (kind, datum, layers: hub/web/basemaps.py); ``tile_url`` / ``tile_crs`` kept for older
    pages (empty = plain background; gcj02 = shift WGS-84 for display)."""
    settings = request.app.state.settings
    return {"tile_url": settings.map_tile_url, "tile_crs": settings.map_tile_crs,
            "attribution": settings.map_tile_attribution, "stale_after_s": STALE_AFTER_S,
            "scope_code": operator.scope_code,
            "basemap": basemap_config(settings)}  # what static/basemap.js draws (docs/basemaps.md)


def _within(scope: OperatorScope) -> str | None:
    """The unit whose subtree bounds what is drawn (None: a root unit's operator, who sees everything)."""
    return None if scope.top else scope.code


def _empty_load() -> dict[str, Any]:
    return {"open": 0, "overdue": 0, "max_level": None, "by_level": {}, "suspended": 0, "awaiting_check": 0}


@router.get("/grids")
def map_grids(scope: ScopeDep, store: StoreDep) -> dict[str, Any]:
    """Grids as a GeoJSON FeatureCollection. Properties: ``code``, ``name``, ``parent`` and ``parent_name``;
    ``open`` (cases that still need work), ``overdue`` and ``by_level`` of those, ``max_level`` (the worst open
    level: the grid's colour; None when nothing is open), ``suspended`` and ``awaiting_check`` (resolved or verified,
    waiting for the check) counted apart."""
    now = store.clock()
    with store.read() as conn:
        grids = org_repo.units_listed(conn, level="grid", within=_within(scope))
        load = views_repo.open_load(conn, OPEN_STATES, tuple(states.OPEN), now, scope.case_units)
        parents = org_repo.unit_names(conn, "community")
    per_grid: dict[str | None, dict[str, Any]] = {}
    for grid_code, state, level, n, late in load:
        entry = per_grid.setdefault(grid_code, _empty_load())
        phase = PHASES[state]
        if phase == "suspended":
            entry["suspended"] += n
        elif phase == "check":
            entry["awaiting_check"] += n
        else:
            entry["open"] += n
            entry["overdue"] += late
            entry["by_level"][level] = entry["by_level"].get(level, 0) + n
            if entry["max_level"] is None or LEVEL_RANK[level] > LEVEL_RANK[entry["max_level"]]:
                entry["max_level"] = level
    features = []
    for grid in grids:
        if not grid.geometry:
            continue
        stats = per_grid.get(grid.code) or _empty_load()
        features.append({"type": "Feature", "geometry": grid.geometry,
                         "properties": {"code": grid.code, "name": grid.name, "parent": grid.parent_code,
                                        "parent_name": parents.get(grid.parent_code or ""), **stats}})
    return {"type": "FeatureCollection", "features": features}


@router.get("/cases")
def map_cases(scope: ScopeDep, store: StoreDep) -> list[dict[str, Any]]:
    """Cases in scope still on the map (open, suspended, awaiting check) with where they are, their ``phase``,
    names for every code and the photos to show: ``photos_before`` (the report's) and ``photos_after`` (the newest
    resolution's evidence). The map's pins and the task board's rows."""
    now = store.clock()
    with store.read() as conn:
        rows = views_repo.open_cases_named(conn, OPEN_STATES, scope.case_units)
        after = views_repo.latest_evidence(conn, [r.id for r, _ in rows if PHASES[r.state] == "check"],
                                           AFTER_TRANSITIONS)
    out = []
    for r, names in rows:
        remaining = (r.deadline - now).total_seconds() if r.deadline is not None and r.state in states.OPEN else None
        out.append({"id": r.id, "reference": r.reference, "state": r.state, "phase": PHASES[r.state],
                    "suspended_from": r.suspended_from, "level": r.level, "title": r.title, "note": r.note,
                    "category_code": r.category_code, "category_zh": names["category_zh"],
                    "category_en": names["category_en"], "severity": r.severity, "source": r.source,
                    "grid_code": r.grid_code, "grid_name": names["grid_name"], "community_code": r.community_code,
                    "community_name": names["community_name"], "lat": r.lat, "lon": r.lon,
                    "assignee": r.assignee, "assignee_name": names["assignee_name"], "deadline": _iso(r.deadline),
                    "remaining_s": remaining, "overdue": remaining is not None and remaining < 0 and
                    PHASES[r.state] == "open",
                    "report_count": r.report_count, "flagged_for_review": r.flagged_for_review,
                    "escalation_level": r.escalation_level, "created_at": _iso(r.created_at),
                    "updated_at": _iso(r.updated_at), "version": r.version,
                    "alarm": r.alarm_at is not None and r.alarm_acked_at is None,
                    "photos_before": report_photos(names["source_payload"])[:6],
                    "photos_after": evidence_photos(after.get(r.id))[:6]})
    return out


@router.get("/devices")
def map_devices(store: StoreDep, scope: ScopeDep) -> dict[str, Any]:
    """Terminals bound in scope (top-of-hierarchy operators: also unbound ones the hub has heard from) with presence,
    heartbeat figures, the name of the unit they are bound to and their last few positions; ``now`` lets the page
    judge staleness against the hub's clock."""
    now = store.clock()
    with store.read() as conn:
        by_id = {b.device_id: b for b in org_repo.bindings_within(conn, _within(scope))}
        ids = set(by_id)
        seen = {r.id: r for r in device_rows.listed(conn)}
        tails = recent_tails(conn, now)
        unit_names = {code: name for code, (name, _parent) in org_repo.unit_tree(conn).items()}
    out = []
    unbound = [i for i in seen if i not in ids] if scope.top else []
    for device_id in sorted(ids) + sorted(unbound):
        b = by_id.get(device_id)
        d = seen.get(device_id)
        out.append({"id": device_id, "kind": b.kind if b else None, "unit": b.unit_code if b else None,
                    "unit_name": unit_names.get(b.unit_code) if b else None,
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
