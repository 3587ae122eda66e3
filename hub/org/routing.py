"""Location → grid routing (属地分派) with shapely's STRtree.

A report's position comes with an accuracy radius. Inside one grid with the whole accuracy circle: routed,
no questions. When the circle straddles a boundary the grid holding most of it is chosen and the case is
flagged for an operator to confirm. Outside every grid the report falls back to the nearest community
within a tolerance (属地兜底), flagged; further out it is left unassigned, flagged.
Areas are compared in metres in a local equirectangular projection around the point: at grid scale
(a few km) its error is far below GPS accuracy, and it needs no projection library.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import shapely
from shapely.geometry import Point, box, shape
from shapely.ops import unary_union
from shapely.strtree import STRtree

from hub.org.repo import Unit, list_units
from hub.store.db import Database

EARTH_RADIUS_M = 6_371_008.8
M_PER_DEG = math.pi * EARTH_RADIUS_M / 180
# Below this share of the accuracy circle a neighbouring grid is GPS noise, not a real alternative.
MIN_STRADDLE_SHARE = 0.02


@dataclass(frozen=True)
class RouteResult:
    grid_code: str | None
    community_code: str | None
    confidence: float  # share of the accuracy circle in the chosen grid (1.0 = certain); 0 when unassigned
    flagged_for_review: bool
    reason: str  # inside | straddles_boundary | near_grid | community_fallback | unassigned
    department: str | None = None  # the handling department the category names, if any
    candidates: tuple[tuple[str, float], ...] = ()  # (grid, share) of every grid it may be in, when unsure


@dataclass(frozen=True)
class GridArea:
    code: str
    community_code: str
    polygon: shapely.Geometry  # lon/lat


def _local_projection(lat0: float, lon0: float):
    """lon/lat → metres east/north of (lat0, lon0)."""
    kx = M_PER_DEG * math.cos(math.radians(lat0))

    def project(geom: shapely.Geometry) -> shapely.Geometry:
        return shapely.transform(geom, lambda xy: (xy - (lon0, lat0)) * (kx, M_PER_DEG))

    return project, kx


class GridRouter:
    def __init__(self, grids: Iterable[GridArea], *, community_tolerance_m: float = 300.0,
                 departments: Mapping[str, str] | None = None):
        self.grids = list(grids)
        if not self.grids:
            raise ValueError("GridRouter needs at least one grid")
        self.tree = STRtree([g.polygon for g in self.grids])
        by_community: dict[str, list] = {}
        for grid in self.grids:
            by_community.setdefault(grid.community_code, []).append(grid.polygon)
        # A community's territory is the union of its grids (the hierarchy carries no community polygons).
        self.communities = {code: unary_union(polys) for code, polys in by_community.items()}
        self.community_tolerance_m = community_tolerance_m
        self.departments = dict(departments or {})

    @classmethod
    def from_units(cls, units: Iterable[Unit], **kwargs) -> GridRouter:
        return cls([GridArea(u.code, u.parent_code, shape(u.geometry)) for u in units
                    if u.level == "grid" and u.geometry and u.parent_code], **kwargs)

    @classmethod
    def from_store(cls, db: Database, **kwargs: Any) -> GridRouter:
        return cls.from_units(list_units(db, level="grid"), **kwargs)

    def route(self, lat: float, lon: float, accuracy_m: float = 0.0, category: str | None = None) -> RouteResult:
        if not (-90 <= lat <= 90 and -180 <= lon <= 180) or not math.isfinite(accuracy_m) or accuracy_m < 0:
            raise ValueError(f"bad position lat={lat} lon={lon} accuracy_m={accuracy_m}")
        department = self.departments.get(category) if category else None
        project, kx = _local_projection(lat, lon)
        point = Point(lon, lat)
        containing = sorted(int(i) for i in self.tree.query(point, predicate="intersects"))

        shares: dict[int, float] = {}
        if accuracy_m > 0:
            circle = Point(0, 0).buffer(accuracy_m, quad_segs=32)
            window = box(lon - accuracy_m / kx, lat - accuracy_m / M_PER_DEG,
                         lon + accuracy_m / kx, lat + accuracy_m / M_PER_DEG)
            for i in self.tree.query(window):
                share = project(self.grids[i].polygon).intersection(circle).area / circle.area
                if share > 0:
                    shares[int(i)] = share
        else:
            shares = {i: 1.0 / len(containing) for i in containing}  # exactly on a shared edge: split evenly

        real = {i: s for i, s in shares.items() if s >= MIN_STRADDLE_SHARE}
        if len(containing) == 1 and set(real) <= set(containing):
            only = containing[0]
            return self._result(only, shares.get(only, 1.0), False, "inside", department)
        if real or containing:
            # Most overlap wins; ties go to the grid holding the point, then the lower code (stable).
            candidates = real or {i: shares.get(i, 0.0) for i in containing}
            best = max(candidates, key=lambda i: (candidates[i], i in containing, -int(self.grids[i].code)))
            reason = "straddles_boundary" if containing else "near_grid"
            ranked = sorted(candidates, key=lambda i: (-candidates[i], self.grids[i].code))
            choices = tuple((self.grids[i].code, round(min(candidates[i], 1.0), 3)) for i in ranked)
            return replace(self._result(best, candidates[best], True, reason, department), candidates=choices)

        nearest, distance = self._nearest_community(point, project)
        if nearest is not None and distance <= self.community_tolerance_m + accuracy_m:
            return RouteResult(None, nearest, 0.0, True, "community_fallback", department)
        return RouteResult(None, None, 0.0, True, "unassigned", department)

    def _result(self, index: int, share: float, flagged: bool, reason: str, department: str | None) -> RouteResult:
        grid = self.grids[index]
        return RouteResult(grid.code, grid.community_code, round(min(share, 1.0), 3), flagged, reason, department)

    def _nearest_community(self, point: Point, project) -> tuple[str | None, float]:
        origin = project(point)
        best, best_distance = None, math.inf
        for code, territory in self.communities.items():
            distance = project(territory).distance(origin)
            if distance < best_distance:
                best, best_distance = code, distance
        return best, best_distance
