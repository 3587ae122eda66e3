"""Checking grid outlines against their community: overlaps with sibling grids and gaps inside the community.

A community's grids should tile it: every place in exactly one grid (属地 routing needs one answer). Two kinds of
fault are found, each with its geometry (GeoJSON, WGS-84) so the units page can draw it:

- **overlap**: the area a grid shares with a sibling grid (same community). Slivers up to ``MAX_OVERLAP_SHARE`` of
  the smaller grid are digitising noise (the same tolerance as the import, ``geojson_io``); anything larger is
  territory given twice, and a save is refused.
- **gap**: a place inside the community that no grid covers. The community's territory is its own outline when
  it has one, else the grids' union - whose holes are then the gaps (a courtyard nobody was given). Gaps smaller
  than ``MIN_GAP_M2`` are ignored. A gap is a warning, not a refusal: moving a shared edge takes two saves (shrink
  one grid, then grow its neighbour), and the first leaves a gap for a moment.

Areas are in square metres in a local equirectangular projection (as ``hub.org.routing`` does).
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import shapely
from shapely.geometry import mapping, shape
from shapely.ops import unary_union

from hub.org.geojson_io import MAX_OVERLAP_SHARE, check_geometry
from hub.org.routing import M_PER_DEG

MIN_GAP_M2 = 25.0  # a 5 m x 5 m hole is a digitising slip, not a place without a grid
PINCH_DEG = 1e-7  # about a centimetre


@dataclass(frozen=True)
class Overlap:
    grid: str  # the grid being checked
    other: str  # the sibling it overlaps
    share: float  # of the smaller of the two
    area_m2: float
    geometry: dict[str, Any]


@dataclass(frozen=True)
class Gap:
    community: str
    area_m2: float
    geometry: dict[str, Any]


@dataclass(frozen=True)
class OutlineReport:
    """What a set of outlines would mean for its communities: ``problem`` (a malformed polygon) or overlaps
    refuse a save; gaps are warnings."""

    problem: str | None = None
    overlaps: list[Overlap] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.problem is None and not self.overlaps


def area_m2(geom: shapely.Geometry) -> float:
    """Area in square metres (equirectangular around the geometry's centre: fine at community scale)."""
    if geom.is_empty:
        return 0.0
    lat0 = geom.centroid.y
    return float(geom.area) * M_PER_DEG * M_PER_DEG * math.cos(math.radians(lat0))


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """Only the areal parts of an intersection (two grids sharing an edge intersect in a line, not an overlap)."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    return unary_union(parts) if parts else shapely.Polygon()


def overlaps(grids: dict[str, shapely.Geometry], changed: Iterable[str]) -> list[Overlap]:
    """Overlaps of the ``changed`` grids with the other grids of ``grids`` (one community's), beyond the tolerance."""
    found: list[Overlap] = []
    seen: set[frozenset[str]] = set()
    for code in changed:
        mine = grids[code]
        for other, theirs in sorted(grids.items()):
            pair = frozenset((code, other))
            if other == code or pair in seen or not mine.intersects(theirs):
                continue
            seen.add(pair)
            shared = _polygonal(mine.intersection(theirs))
            smaller = min(mine.area, theirs.area)
            share = shared.area / smaller if smaller else 1.0
            if shared.is_empty or share <= MAX_OVERLAP_SHARE:
                continue
            found.append(Overlap(code, other, round(share, 4), round(area_m2(shared), 1), mapping(shared)))
    return found


def gaps(community: str, grids: Iterable[shapely.Geometry], outline: shapely.Geometry | None) -> list[Gap]:
    """Places inside the community that no grid covers (see the module doc), largest first."""
    union = unary_union(list(grids))
    if union.is_empty:
        return []
    if outline is not None:
        missing = outline.difference(union)
    else:
        # A gap whose corners touch the community's edge (a wedge between two grids meeting at a boundary vertex)
        # is no hole in the union but a pinch of its exterior: a centimetre's buffer closes the pinch into a hole.
        closed = union.buffer(PINCH_DEG, join_style="mitre")
        polygons = getattr(closed, "geoms", [closed])
        holes = [shapely.Polygon(ring) for polygon in polygons for ring in polygon.interiors]
        missing = unary_union(holes).buffer(PINCH_DEG, join_style="mitre").difference(union) if holes \
            else shapely.Polygon()
    pieces = [p for p in getattr(missing, "geoms", [missing]) if p.geom_type == "Polygon" and not p.is_empty]
    found = [Gap(community, round(area_m2(p), 1), mapping(p)) for p in pieces if area_m2(p) >= MIN_GAP_M2]
    return sorted(found, key=lambda g: -g.area_m2)


def check_community(community: str, grids: dict[str, dict[str, Any]], changed: Iterable[str],
                    outline: dict[str, Any] | None = None) -> OutlineReport:
    """Check one community's grid outlines (code → GeoJSON geometry, the proposed ones already in place) where the
    ``changed`` grids are the ones being saved; ``outline``: the community's own outline, when it has one."""
    changed = list(changed)
    for code in changed:
        problem = check_geometry(grids[code])
        if problem:
            return OutlineReport(problem=f"{code}: {problem}")
    shapes = {code: shape(g) for code, g in grids.items() if g}
    territory = shape(outline) if outline and check_geometry(outline) is None else None
    return OutlineReport(None, overlaps(shapes, changed), gaps(community, shapes.values(), territory))


def report_json(report: OutlineReport) -> dict[str, Any]:
    return {"ok": report.ok, "problem": report.problem,
            "overlaps": [vars(o) for o in report.overlaps], "gaps": [vars(g) for g in report.gaps]}
