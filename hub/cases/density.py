"""The map's report density layer: the positions of the cases reported in a period, counted in square cells of
about ``cell_m`` metres. Binned here rather than in SQL because SQLite has no portable floor(); a year of a
city's cases (100k positions) bins in well under a second.

Cells sit on a fixed lattice (index = floor(coordinate / step)), so the same case falls in the same cell on every
request and cells never overlap. The longitude step is widened by 1/cos(latitude) to keep cells square on the
ground; that latitude is rounded to whole degrees so the lattice does not move with the data.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = ["METRES_PER_DEGREE", "DensityGrid", "bin_positions"]

METRES_PER_DEGREE = 111_320.0  # along a meridian (and along the equator)


@dataclass(frozen=True)
class DensityGrid:
    cell_m: float
    lat_step: float
    lon_step: float
    cells: list[tuple[float, float, int]] = field(default_factory=list)  # (south, west, count), densest first

    @property
    def total(self) -> int:
        return sum(n for _, _, n in self.cells)


def bin_positions(positions: Iterable[tuple[float, float]], cell_m: float) -> DensityGrid:
    points = list(positions)
    lat_step = cell_m / METRES_PER_DEGREE
    centre = round(sum(lat for lat, _ in points) / len(points)) if points else 0
    lon_step = lat_step / max(0.05, math.cos(math.radians(centre)))  # near the poles: capped, never divided by 0
    counts = Counter((math.floor(lat / lat_step), math.floor(lon / lon_step)) for lat, lon in points)
    cells = [(i * lat_step, j * lon_step, n) for (i, j), n in counts.most_common()]
    return DensityGrid(cell_m, lat_step, lon_step, cells)
