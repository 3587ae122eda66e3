"""The pick-on-map grid: the grid's bounding box cut into cells; a touch on a cell is the cell's centre.

No map tiles (kiosks are often offline and tile licences differ); the accuracy of a picked place is
half the cell's diagonal, so the hub knows how rough it is.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from terminal.position.geo import haversine_m


@dataclass(frozen=True)
class PickedPlace:
    lat: float
    lon: float
    accuracy_m: float
    row: int
    col: int


class GridMap:
    def __init__(self, bbox: tuple[float, float, float, float], rows: int = 4, cols: int = 4):
        lon_min, lat_min, lon_max, lat_max = bbox
        if not (lon_min < lon_max and lat_min < lat_max):
            raise ValueError("bbox must be (lon_min, lat_min, lon_max, lat_max) with min < max")
        if rows < 1 or cols < 1:
            raise ValueError("the map needs at least one row and one column")
        self.bbox, self.rows, self.cols = bbox, rows, cols

    def cell_size(self) -> tuple[float, float]:
        lon_min, lat_min, lon_max, lat_max = self.bbox
        return (lat_max - lat_min) / self.rows, (lon_max - lon_min) / self.cols

    def pick(self, row: int, col: int) -> PickedPlace:
        """Row 0 is the northern edge (top of the screen), column 0 the western."""
        if not (0 <= row < self.rows and 0 <= col < self.cols):
            raise ValueError(f"cell ({row}, {col}) is outside the {self.rows}x{self.cols} map")
        lon_min, _, _, lat_max = self.bbox
        dlat, dlon = self.cell_size()
        lat, lon = lat_max - (row + 0.5) * dlat, lon_min + (col + 0.5) * dlon
        diagonal = haversine_m(lat - dlat / 2, lon - dlon / 2, lat + dlat / 2, lon + dlon / 2)
        return PickedPlace(lat, lon, round(diagonal / 2, 1), row, col)

    def cell_of(self, lat: float, lon: float) -> tuple[int, int] | None:
        """Where a known position (the kiosk's own) falls, to mark it; None outside the box."""
        lon_min, lat_min, lon_max, lat_max = self.bbox
        if not (lat_min <= lat <= lat_max and lon_min <= lon <= lon_max):
            return None
        dlat, dlon = self.cell_size()
        row = min(self.rows - 1, int(math.floor((lat_max - lat) / dlat)))
        col = min(self.cols - 1, int(math.floor((lon - lon_min) / dlon)))
        return row, col
