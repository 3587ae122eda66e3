"""GeoJSON in and out of the ``units`` table, and loading a whole community (hierarchy, grids, people, devices,
department contacts).

A grid file is a FeatureCollection of Polygon/MultiPolygon features in WGS-84 lon/lat with properties
``code`` (15 digits), ``name`` and ``community`` (12 digits). It may carry a ``hierarchy`` member (a list of
``{level, code, name, parent?}`` from city to community) so a fresh database can take it alone.
Imports validate everything first and write in one transaction: a bad file changes nothing.
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import shapely
from shapely.geometry import shape
from shapely.strtree import STRtree

from hub.org.codes import LEVEL_LENGTHS, CodeError, parent_code, split_grid_code
from hub.org.repo import (
    Clock,
    DepartmentContact,
    DeviceBinding,
    Person,
    Unit,
    contact_exists,
    existing_unit_codes,
    insert_contact,
    list_units,
    save_device_bindings,
    save_people,
    save_units,
    utc_now,
)
from hub.store.db import Database
from hub.store.vocabulary import DEVICE_KINDS, PERSON_ROLES

# Two grids of one file may share edges but not area; slivers under this share of the smaller grid are
# digitising noise, anything above is a real double assignment of territory.
MAX_OVERLAP_SHARE = 0.01


class OrgDataError(ValueError):
    """Invalid organisation/geography data; ``errors`` lists every problem found, each naming its item."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        shown = "; ".join(errors[:5]) + (f" (+{len(errors) - 5} more)" if len(errors) > 5 else "")
        super().__init__(shown)


@dataclass(frozen=True)
class ImportSummary:
    units_created: int
    units_updated: int
    grids: int
    people: int = 0
    devices: int = 0
    department_contacts: int = 0  # in the file (already stored ones included)


def parse_hierarchy(items: Iterable[dict], errors: list[str]) -> list[Unit]:
    """Non-grid units; an explicit ``parent`` must agree with the code's prefix below district level."""
    parsed = []
    for i, item in enumerate(items):
        where = f"hierarchy[{i}]"
        try:
            level, code, name = item["level"], str(item["code"]), str(item.get("name") or "").strip()
            if level == "grid":
                raise CodeError("grids belong in the feature collection, not the hierarchy")
            derived = parent_code(code, level)
        except (KeyError, TypeError) as exc:
            errors.append(f"{where}: missing {exc}")
            continue
        except CodeError as exc:
            errors.append(f"{where}: {exc}")
            continue
        parent = item.get("parent") or derived
        if level in ("street", "community") and parent != derived:
            errors.append(f"{where}: parent {parent!r} does not match code {code} (expected {derived})")
            continue
        if not name:
            errors.append(f"{where}: {level} {code} has no name")
            continue
        abbr = str(item.get("abbr") or "").strip().upper() or None
        if abbr is not None and (level != "community" or not abbr.isalnum() or len(abbr) > 8):
            errors.append(f"{where}: abbr {abbr!r} must be up to 8 letters or digits, on a community")
            continue
        parsed.append(Unit(code, level, name, parent, abbr=abbr))
    return parsed


def check_geometry(geometry: Any) -> str | None:
    """Why this GeoJSON geometry cannot be a grid boundary, or None when it can."""
    if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        return "geometry must be a GeoJSON Polygon or MultiPolygon"
    polygons = geometry.get("coordinates") or []
    if geometry["type"] == "Polygon":
        polygons = [polygons]
    try:
        for polygon in polygons:
            for ring in polygon:
                if len(ring) < 4 or list(ring[0]) != list(ring[-1]):
                    return "each ring needs at least 4 positions and must be closed (first = last)"
                for position in ring:
                    lon, lat = float(position[0]), float(position[1])
                    if not (math.isfinite(lon) and math.isfinite(lat)):
                        return "coordinates must be finite numbers"
                    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                        return f"position ({lon}, {lat}) is outside WGS-84 lon/lat ranges (lon first, then lat)"
        geom = shape(geometry)
    except (TypeError, ValueError, IndexError, shapely.errors.GEOSException) as exc:
        return f"malformed coordinates ({exc})"
    if not geom.is_valid:
        return f"invalid polygon: {shapely.is_valid_reason(geom)}"
    if geom.is_empty or geom.area == 0:
        return "polygon has no area"
    return None


def parse_grid_features(collection: Any, errors: list[str]) -> list[Unit]:
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        errors.append("expected a GeoJSON FeatureCollection")
        return []
    grids, seen = [], set()
    for i, feature in enumerate(collection.get("features") or []):
        props = (feature or {}).get("properties") or {}
        where = f"features[{i}] ({props.get('code', 'no code')})"
        try:
            parts = split_grid_code(str(props.get("code", "")))
        except CodeError as exc:
            errors.append(f"{where}: {exc}")
            continue
        community = str(props.get("community") or parts.community_code)
        if community != parts.community_code:
            errors.append(f"{where}: community {community} is not the code's prefix {parts.community_code}")
            continue
        if parts.code in seen:
            errors.append(f"{where}: duplicate grid code")
            continue
        name = str(props.get("name") or "").strip()
        problem = "has no name" if not name else check_geometry(feature.get("geometry"))
        if problem:
            errors.append(f"{where}: {problem}")
            continue
        seen.add(parts.code)
        grids.append(Unit(parts.code, "grid", name, community, feature["geometry"]))
    if not grids and not errors:
        errors.append("the collection has no grid features")
    _check_overlaps(grids, errors)
    return grids


def _check_overlaps(grids: list[Unit], errors: list[str]) -> None:
    shapes = [shape(g.geometry) for g in grids]
    tree = STRtree(shapes)
    for i, j in zip(*tree.query(shapes, predicate="intersects"), strict=True):
        if i >= j:
            continue
        overlap = shapes[i].intersection(shapes[j]).area
        if overlap > MAX_OVERLAP_SHARE * min(shapes[i].area, shapes[j].area):
            errors.append(f"grids {grids[i].code} and {grids[j].code} overlap "
                          f"({overlap / min(shapes[i].area, shapes[j].area):.0%} of the smaller)")


def _check_parents(conn, units: list[Unit], errors: list[str]) -> None:
    """Every parent must be in this import or already stored (the foreign key would refuse it anyway)."""
    incoming = {u.code for u in units}
    wanted = {u.parent_code for u in units if u.parent_code and u.parent_code not in incoming}
    missing = wanted - existing_unit_codes(conn, wanted)
    for code in sorted(missing):
        children = ", ".join(u.code for u in units if u.parent_code == code)
        errors.append(f"parent unit {code} of {children} does not exist; load the hierarchy first "
                      f"or include it in the file")


def _write_units(conn, units: list[Unit], clock: Clock) -> tuple[int, int]:
    created = save_units(conn, units, clock())
    return created, len(units) - created


def import_grids(db: Database, collection: dict, *, clock: Clock = utc_now) -> ImportSummary:
    """Validate and upsert a grid FeatureCollection (plus its ``hierarchy`` member when present)."""
    errors: list[str] = []
    hierarchy = parse_hierarchy(collection.get("hierarchy") or [], errors) if isinstance(collection, dict) else []
    grids = parse_grid_features(collection, errors)
    with db.write() as conn:
        if not errors:
            _check_parents(conn, hierarchy + grids, errors)
        if errors:
            raise OrgDataError(errors)
        created, updated = _write_units(conn, hierarchy + grids, clock)
    return ImportSummary(created, updated, len(grids))


def export_grids(db: Database, *, under: str | None = None, with_hierarchy: bool = True) -> dict:
    """Grids (optionally only those whose code starts with ``under``) as a FeatureCollection that
    :func:`import_grids` takes back unchanged; ``hierarchy`` lists their ancestors, city first."""
    grids = list_units(db, level="grid", under=under)
    collection: dict[str, Any] = {"type": "FeatureCollection"}
    if with_hierarchy:
        ancestors = {u.code: u for u in list_units(db) if u.level != "grid"}
        wanted: dict[str, Unit] = {}
        for grid in grids:
            code = grid.parent_code
            while code and code in ancestors and code not in wanted:
                wanted[code] = ancestors[code]
                code = ancestors[code].parent_code
        order = list(LEVEL_LENGTHS)
        collection["hierarchy"] = [
            {"level": u.level, "code": u.code, "name": u.name, **({"parent": u.parent_code} if u.parent_code else {}),
             **({"abbr": u.abbr} if u.abbr else {})}
            for u in sorted(wanted.values(), key=lambda u: (order.index(u.level), u.code))]
    collection["features"] = [
        {"type": "Feature", "properties": {"code": g.code, "name": g.name, "community": g.parent_code},
         "geometry": g.geometry}
        for g in grids]
    return collection


def _parse_people(items: Iterable[dict], devices: list[dict], errors: list[str]) -> list[Person]:
    phones = {d.get("owner"): d.get("id") for d in devices if d.get("kind") == "phone" and d.get("owner")}
    parsed = []
    for i, item in enumerate(items):
        pid, role, unit = item.get("id"), item.get("role"), item.get("unit")
        if not pid or not item.get("name") or not unit:
            errors.append(f"people[{i}]: needs id, name and unit")
        elif role not in PERSON_ROLES:
            errors.append(f"people[{i}] ({pid}): role {role!r} is not one of {', '.join(PERSON_ROLES)}")
        else:
            parsed.append(Person(pid, item["name"], role, str(unit), item.get("phone") or phones.get(pid)))
    return parsed


def _parse_devices(items: Iterable[dict], people_ids: set[str], errors: list[str]) -> list[DeviceBinding]:
    parsed = []
    for i, item in enumerate(items):
        did, kind, owner = item.get("id"), item.get("kind"), item.get("owner")
        unit = item.get("grid") or item.get("unit")
        if not did or not unit:
            errors.append(f"devices[{i}]: needs id and grid")
        elif kind not in DEVICE_KINDS:
            errors.append(f"devices[{i}] ({did}): kind {kind!r} is not one of {', '.join(DEVICE_KINDS)}")
        elif owner and owner not in people_ids:
            errors.append(f"devices[{i}] ({did}): owner {owner} is not among the people")
        else:
            parsed.append(DeviceBinding(did, kind, str(unit), owner))
    return parsed


def _parse_contacts(items: Iterable[dict], people_ids: set[str], errors: list[str]) -> list[DepartmentContact]:
    """``{department, unit, person}``: who answers for a handling department (the taxonomy's ``department``, spelled
    the same) at a unit of this file; the person is one of this file's people, of any unit."""
    parsed = []
    for i, item in enumerate(items):
        department = str(item.get("department") or "").strip()
        unit, person = item.get("unit"), item.get("person")
        where = f"department_contacts[{i}] ({department or 'no department'})"
        if not department or len(department) > 64 or not unit or not person:
            errors.append(f"{where}: needs a department (1-64 characters), a unit and a person")
        elif person not in people_ids:
            errors.append(f"{where}: person {person} is not among the people")
        else:
            parsed.append(DepartmentContact(department, str(unit), str(person)))
    return parsed


def load_community(db: Database, data: dict, *, clock: Clock = utc_now) -> ImportSummary:
    """Load a community file (``hierarchy``, ``grids`` FeatureCollection, ``people``, ``devices``, optional
    ``department_contacts``) in one transaction; re-loading the same file updates in place (contacts it no longer
    lists stay: ``gridline hub departments remove`` takes them away)."""
    errors: list[str] = []
    hierarchy = parse_hierarchy(data.get("hierarchy") or [], errors)
    grids = parse_grid_features(data.get("grids"), errors)
    devices = data.get("devices") or []
    persons = _parse_people(data.get("people") or [], devices, errors)
    bindings = _parse_devices(devices, {p.id for p in persons}, errors)
    contacts = _parse_contacts(data.get("department_contacts") or [], {p.id for p in persons}, errors)
    known = {u.code for u in hierarchy + grids}
    for name, unit in [*((p.id, p.unit_code) for p in persons), *((b.device_id, b.unit_code) for b in bindings),
                       *((f"{c.department} contact {c.person_id}", c.unit_code) for c in contacts)]:
        if unit not in known:
            errors.append(f"{name}: unit {unit} is not in this file")
    with db.write() as conn:
        if not errors:
            _check_parents(conn, hierarchy + grids, errors)
        if errors:
            raise OrgDataError(errors)
        created, updated = _write_units(conn, hierarchy + grids, clock)
        save_people(conn, persons)
        save_device_bindings(conn, bindings)
        for contact in dict.fromkeys(contacts):
            if not contact_exists(conn, contact):
                insert_contact(conn, contact)
    return ImportSummary(created, updated, len(grids), len(persons), len(bindings), len(contacts))
