"""The walked-track map on the tablet: the grid's outline and the patrol's recorded positions, projected into a
widget's pixels. No tiles and no network (a patrol is often where the signal is poor); the screen only draws the
point lists this returns.

The projection is equirectangular around the middle latitude (a grid is a few hundred metres across, so the
error is far below a pixel), scaled to fit the box with a margin and centred: north is up, shapes keep their
proportions, and a track that leaves the grid widens the view rather than running off it.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from terminal.position.geo import haversine_m

LatLon = tuple[float, float]


@dataclass(frozen=True)
class TrackDrawing:
    """Pixel coordinates (origin bottom-left, as Kivy draws), flat ``[x0, y0, x1, y1, ...]`` lists."""

    outline: list[float]  # closed ring of the grid ([] when the device has no grid box)
    track: list[float]  # the walked line, oldest first
    here: tuple[float, float] | None  # the newest position
    start: tuple[float, float] | None  # where the patrol began
    metres_per_px: float  # for a scale bar


class TrackMap:
    def __init__(self, bbox: tuple[float, float, float, float] | None = None,
                 outline: Sequence[tuple[float, float]] | None = None):
        """``bbox``: (lon_min, lat_min, lon_max, lat_max); ``outline``: the grid's ring as (lon, lat) pairs, if known
        (the box's rectangle otherwise)."""
        if outline:
            ring = [(float(lon), float(lat)) for lon, lat in outline]
        elif bbox is not None:
            lon_min, lat_min, lon_max, lat_max = bbox
            ring = [(lon_min, lat_min), (lon_max, lat_min), (lon_max, lat_max), (lon_min, lat_max)]
        else:
            ring = []
        if ring and ring[0] != ring[-1]:
            ring.append(ring[0])
        self.ring = ring

    def draw(self, track: Sequence[LatLon], width: float, height: float, margin: float = 12.0) -> TrackDrawing:
        """``track``: (lat, lon) of the recorded positions, oldest first."""
        lats = [lat for _, lat in self.ring] + [lat for lat, _ in track]
        lons = [lon for lon, _ in self.ring] + [lon for _, lon in track]
        if not lats or width <= 2 * margin or height <= 2 * margin:
            return TrackDrawing([], [], None, None, 0.0)
        lat_min, lat_max, lon_min, lon_max = min(lats), max(lats), min(lons), max(lons)
        mid = math.radians((lat_min + lat_max) / 2)
        # plane units: degrees of latitude; a degree of longitude is cos(latitude) of one
        span_x = max((lon_max - lon_min) * math.cos(mid), 1e-6)
        span_y = max(lat_max - lat_min, 1e-6)
        scale = min((width - 2 * margin) / span_x, (height - 2 * margin) / span_y)  # px per plane unit
        off_x = (width - span_x * scale) / 2
        off_y = (height - span_y * scale) / 2

        def xy(lat: float, lon: float) -> tuple[float, float]:
            return (off_x + (lon - lon_min) * math.cos(mid) * scale, off_y + (lat - lat_min) * scale)

        def flat(points: Sequence[tuple[float, float]]) -> list[float]:
            return [round(v, 1) for p in points for v in p]

        outline = flat([xy(lat, lon) for lon, lat in self.ring])
        line = [(round(x, 1), round(y, 1)) for x, y in (xy(lat, lon) for lat, lon in track)]
        metres_per_degree = haversine_m(lat_min, lon_min, lat_min + 1e-3, lon_min) * 1000
        return TrackDrawing(outline, flat(line), line[-1] if line else None, line[0] if line else None,
                            round(metres_per_degree / scale, 3))
