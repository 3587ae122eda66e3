"""Units and grids for admins (the units page, ``hub/api/units_admin.py``): the unit tree, new units and buildings,
renames, grid outlines checked against their community (``hub.org.outlines``), GeoJSON import and export.

Scope is the caller's: every function that reaches beyond one named unit takes ``within`` (the admin's scope
unit; None = the top of the hierarchy, everything) or ``sees`` (is this unit code the admin's?), and the API checks
the units it names before calling. The code scheme (``hub.org.codes``): each level's code is its parent's plus a
serial - street 3, community 3, grid 3, building (楼栋) 3 digits, so a building is 18 digits
(``440402004005001`` grid 1 → ``440402004005001012`` its building 12). New grids and buildings get the next free
serial under their parent unless the admin names the code.

Imports take WGS-84, or GCJ-02 / BD-09 when the file says so (a GeoJSON 2008 ``crs`` member naming it, or a
``coordinate_system`` member: ``"gcj02"``, ``"bd09"``); those are converted to WGS-84 before anything is checked or
stored, since the hub stores and routes in WGS-84 only.
"""
from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from hub.org import repo
from hub.org.codes import LEVEL_LENGTHS, CodeError, level_below, parent_code, validate_unit_code
from hub.org.datums import bd09_to_wgs84, gcj02_to_wgs84
from hub.org.geojson_io import ImportSummary, OrgDataError, check_geometry, import_grids, parse_grid_features
from hub.org.outlines import OutlineReport, check_community
from hub.org.repo import Unit
from hub.store.clock import Clock, utc_now
from hub.store.db import Database

CREATABLE = ("street", "community", "grid", "building")  # below a district; cities and districts come by import
OUTLINED = ("community", "grid")  # units that may carry an outline (a community's bounds its grids' gap check)
MAX_NAME = 64
_TO_WGS84: dict[str, Callable[[float, float], tuple[float, float]]] = {"gcj02": gcj02_to_wgs84,
                                                                       "bd09": bd09_to_wgs84}


class UnitAdminError(ValueError):
    """A refused change: ``kind`` (not_found | exists | invalid | overlap) and the message in both languages."""

    def __init__(self, kind: str, zh: str, en: str, report: OutlineReport | None = None):
        super().__init__(en)
        self.kind, self.zh, self.en, self.report = kind, zh, en, report


@dataclass(frozen=True)
class ImportOutcome:
    summary: ImportSummary
    datum: str  # what the file was drawn in (wgs84 | gcj02 | bd09); stored as WGS-84 either way
    skipped: list[str] = field(default_factory=list)  # ancestors outside the scope, unchanged, left as they are
    reports: dict[str, OutlineReport] = field(default_factory=dict)  # community → its gaps after the import


# -- the tree -----------------------------------------------------------------------------------------------
def unit_tree(db: Database, within: str | None) -> list[Unit]:
    """Every unit of the scope (None: all), by code; the page builds the tree from ``parent_code``."""
    with db.read() as conn:
        return repo.units_listed(conn, within=within)


def _name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME:
        raise UnitAdminError("invalid", f"名称须为 1–{MAX_NAME} 个字符", f"a name needs 1-{MAX_NAME} characters")
    return name


def _next_code(siblings: list[Unit], parent: str, level: str) -> str:
    width = LEVEL_LENGTHS[level] - len(parent)
    used = {int(u.code[len(parent):]) for u in siblings if u.code.startswith(parent)}
    serial = next((n for n in range(1, 10 ** width) if n not in used), None)
    if serial is None:
        raise UnitAdminError("invalid", f"{parent} 下的编号已用完", f"no free {level} serial under {parent}")
    return f"{parent}{serial:0{width}d}"


def create_unit(db: Database, *, level: str, name: str, parent: str, code: str | None = None,
                clock: Clock = utc_now) -> Unit:
    """A street, community, grid or building under ``parent`` (which must be the level above); ``code`` None =
    the next free serial."""
    if level not in CREATABLE:
        raise UnitAdminError("invalid", "只能新建街道、社区、网格或楼栋",
                             f"level must be one of {', '.join(CREATABLE)}")
    name = _name(name)
    with db.write() as conn:
        above = repo.unit(conn, parent)
        if above is None:
            raise UnitAdminError("not_found", f"上级单元 {parent} 不存在", f"no unit {parent}")
        if level_below(above.level) != level:
            raise UnitAdminError("invalid", f"{above.name} 下不能直接建 {level}",
                                 f"a {level} cannot sit directly under a {above.level}")
        if code is None:
            code = _next_code(repo.units_listed(conn, level=level, under=parent), parent, level)
        try:
            validate_unit_code(code, level)
            derived = parent_code(code, level)
        except CodeError as exc:
            raise UnitAdminError("invalid", f"编码不合规：{exc}", str(exc)) from None
        if derived != parent:
            raise UnitAdminError("invalid", f"编码 {code} 不以上级编码 {parent} 开头",
                                 f"code {code} does not extend its parent's code {parent}")
        if repo.unit(conn, code) is not None:
            raise UnitAdminError("exists", f"编码 {code} 已存在", f"unit {code} already exists")
        created = Unit(code, level, name, parent)
        repo.save_units(conn, [created], clock())
    return created


def rename_unit(db: Database, code: str, name: str, *, clock: Clock = utc_now) -> Unit:
    name = _name(name)
    with db.write() as conn:
        found = repo.unit(conn, code)
        if found is None:
            raise UnitAdminError("not_found", f"单元 {code} 不存在", f"no unit {code}")
        renamed = replace(found, name=name)
        repo.save_units(conn, [renamed], clock())
    return renamed


# -- outlines ------------------------------------------------------------------------------------------------
def _community_check(conn: Any, community: Unit, proposed: dict[str, dict[str, Any] | None],
                     outline: dict[str, Any] | None) -> OutlineReport:
    grids = {u.code: u.geometry for u in repo.units_listed(conn, level="grid", within=community.code)
             if u.parent_code == community.code}
    grids.update(proposed)
    return check_community(community.code, {c: g for c, g in grids.items() if g}, proposed, outline)


def outline_report(db: Database, code: str, geometry: dict[str, Any], *, save: bool = False,
                   clock: Clock = utc_now) -> OutlineReport:
    """Check (and with ``save``, store when nothing refuses it) a grid's or community's outline; the report lists
    the overlaps with sibling grids and the gaps in the community the new outline would leave."""
    with (db.write() if save else db.read()) as conn:
        found = repo.unit(conn, code)
        if found is None:
            raise UnitAdminError("not_found", f"单元 {code} 不存在", f"no unit {code}")
        if found.level not in OUTLINED:
            raise UnitAdminError("invalid", "只有社区和网格有边界", "only communities and grids have outlines")
        if found.level == "grid":
            community = repo.unit(conn, found.parent_code or "")
            if community is None:
                raise UnitAdminError("invalid", f"网格 {code} 没有所属社区", f"grid {code} has no community")
            report = _community_check(conn, community, {code: geometry}, community.geometry)
        else:
            problem = check_geometry(geometry)
            report = (OutlineReport(problem=f"{code}: {problem}") if problem
                      else _community_check(conn, found, {}, geometry))
        if save and report.ok:
            repo.save_units(conn, [replace(found, geometry=geometry)], clock())
    return report


def stored_report(db: Database, code: str) -> OutlineReport:
    """The overlaps and gaps of a community (a grid: its community) as stored now."""
    with db.read() as conn:
        found = repo.unit(conn, code)
        if found is not None and found.level == "grid":
            found = repo.unit(conn, found.parent_code or "")
        if found is None or found.level != "community":
            raise UnitAdminError("not_found", f"单元 {code} 没有所属社区", f"no community for {code}")
        grids = {u.code: u.geometry for u in repo.units_listed(conn, level="grid", within=found.code)
                 if u.parent_code == found.code and u.geometry}
    return check_community(found.code, grids, list(grids), found.geometry)


# -- import / export -----------------------------------------------------------------------------------------
def source_datum(collection: dict[str, Any]) -> str:
    """wgs84 | gcj02 | bd09, from the file's ``crs`` / ``coordinate_system`` member (none: WGS-84, as RFC 7946)."""
    names: list[str] = []
    crs = collection.get("crs")
    if isinstance(crs, dict):
        names.append(str((crs.get("properties") or {}).get("name") or ""))
    elif crs:
        names.append(str(crs))
    names += [str(collection[k]) for k in ("coordinate_system", "coordinateSystem") if collection.get(k)]
    said = " ".join(names).strip()
    text = said.lower()
    if not text:
        return "wgs84"
    if "gcj" in text:
        return "gcj02"
    if "bd09" in text or "bd-09" in text or "baidu" in text:
        return "bd09"
    if any(k in text for k in ("wgs84", "wgs-84", "wgs 84", "4326", "crs84")):
        return "wgs84"
    raise OrgDataError([f"coordinate system {said!r} is not WGS-84, GCJ-02 or BD-09"])


def _convert(coordinates: Any, to_wgs84: Callable[[float, float], tuple[float, float]]) -> Any:
    if coordinates and isinstance(coordinates[0], (int, float)):
        lat, lon = to_wgs84(float(coordinates[1]), float(coordinates[0]))
        return [round(lon, 8), round(lat, 8), *coordinates[2:]]
    return [_convert(c, to_wgs84) for c in coordinates]


def to_wgs84(collection: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The collection with every feature's coordinates in WGS-84 (a copy; the datum members dropped)."""
    datum = source_datum(collection)
    out = {k: v for k, v in collection.items() if k not in ("crs", "coordinate_system", "coordinateSystem")}
    if datum == "wgs84":
        return out, datum
    out["features"] = copy.deepcopy(collection.get("features") or [])
    for feature in out["features"]:
        geometry = (feature or {}).get("geometry")
        if isinstance(geometry, dict) and isinstance(geometry.get("coordinates"), list):
            try:
                geometry["coordinates"] = _convert(geometry["coordinates"], _TO_WGS84[datum])
            except (TypeError, ValueError, IndexError):
                pass  # malformed: the grid checks name it
    return out, datum


def _scoped(conn: Any, collection: dict[str, Any], sees: Callable[[str], bool]) -> tuple[dict[str, Any], list[str]]:
    """The collection an admin may import: hierarchy entries outside the scope are dropped when they only repeat
    what is stored (an export carries the ancestors), refused otherwise; so are grids outside the scope."""
    errors: list[str] = []
    kept, skipped = [], []
    incoming = {str(i.get("code")) for i in collection.get("hierarchy") or [] if isinstance(i, dict)}
    for item in collection.get("hierarchy") or []:
        code = str((item or {}).get("code"))
        stored = repo.unit(conn, code)
        if stored is not None and not sees(code):
            if stored.name == str(item.get("name") or "").strip() and stored.level == item.get("level"):
                skipped.append(code)
                continue
            errors.append(f"hierarchy {code}: outside your scope")
            continue
        if stored is None:
            above = item.get("parent")
            if above is None:
                try:
                    above = parent_code(code, str(item.get("level")))
                except CodeError:
                    above = None  # parse_hierarchy names the fault
            if above is not None and not (sees(str(above)) or str(above) in incoming):
                errors.append(f"hierarchy {code}: its parent {above} is outside your scope")
                continue
        kept.append(item)
    for feature in collection.get("features") or []:
        props = (feature or {}).get("properties") or {}
        code = str(props.get("code", ""))
        community = str(props.get("community") or code[:12])
        stored = repo.unit(conn, code)
        if (stored is not None and not sees(code)) or (
                stored is None and not (sees(community) or community in incoming)):
            errors.append(f"grid {code}: outside your scope")
    if errors:
        raise OrgDataError(errors)
    return {**collection, "hierarchy": kept}, skipped


def _check_shape(collection: Any) -> None:
    """The members everything below walks: a list of feature objects (with object properties), a list of
    hierarchy objects."""
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        raise OrgDataError(["expected a GeoJSON FeatureCollection"])
    features, hierarchy = collection.get("features") or [], collection.get("hierarchy") or []
    if not isinstance(features, list) or not all(
            isinstance(f, dict) and isinstance(f.get("properties") or {}, dict) for f in features):
        raise OrgDataError(["features must be a list of GeoJSON Feature objects with object properties"])
    if not isinstance(hierarchy, list) or not all(isinstance(i, dict) for i in hierarchy):
        raise OrgDataError(["hierarchy must be a list of {level, code, name} objects"])


def import_collection(db: Database, collection: Any, *, sees: Callable[[str], bool] | None = None,
                      clock: Clock = utc_now) -> ImportOutcome:
    """Convert to WGS-84, keep to the scope, refuse overlaps with the grids already stored (as well as within the
    file), then import in one transaction (``geojson_io.import_grids``); the outcome lists the gaps left."""
    _check_shape(collection)
    collection, datum = to_wgs84(collection)
    skipped: list[str] = []
    errors: list[str] = []
    grids = parse_grid_features(collection, errors)
    if errors:
        raise OrgDataError(errors)
    by_community: dict[str, dict[str, dict[str, Any] | None]] = {}
    for grid in grids:
        by_community.setdefault(grid.parent_code or "", {})[grid.code] = grid.geometry
    reports: dict[str, OutlineReport] = {}
    with db.read() as conn:
        if sees is not None:
            collection, skipped = _scoped(conn, collection, sees)
        for community_code, proposed in sorted(by_community.items()):
            community = repo.unit(conn, community_code) or Unit(community_code, "community", community_code)
            report = _community_check(conn, community, proposed, community.geometry)
            errors += [f"grids {o.grid} and {o.other} overlap ({o.share:.0%} of the smaller)" for o in report.overlaps]
            reports[community_code] = report
    if errors:
        raise OrgDataError(errors)
    summary = import_grids(db, collection, clock=clock)
    return ImportOutcome(summary, datum, skipped, reports)


def export_collection(db: Database, within: str | None) -> dict[str, Any]:
    """The scope's grids as a FeatureCollection that :func:`import_collection` takes back unchanged: ``hierarchy``
    lists their ancestors (city first), the scope's other units and its buildings (after their grids)."""
    with db.read() as conn:
        inside = repo.units_listed(conn, within=within)
        tree = {u.code: u for u in repo.units_listed(conn)}
    wanted = {u.code: u for u in inside if u.level != "grid"}
    for u in inside:
        code = u.parent_code
        while code and code in tree and code not in wanted:
            wanted[code] = tree[code]
            code = tree[code].parent_code
    wanted = {code: u for code, u in wanted.items() if u.level != "grid"}  # a building's grid: a feature
    order = list(LEVEL_LENGTHS)
    hierarchy = [{"level": u.level, "code": u.code, "name": u.name, **({"parent": u.parent_code} if u.parent_code
                                                                       else {}), **({"abbr": u.abbr} if u.abbr else {})}
                 for u in sorted(wanted.values(), key=lambda u: (order.index(u.level), u.code))]
    features = [{"type": "Feature", "properties": {"code": g.code, "name": g.name, "community": g.parent_code},
                 "geometry": g.geometry} for g in inside if g.level == "grid" and g.geometry]
    return {"type": "FeatureCollection", "hierarchy": hierarchy, "features": features}

