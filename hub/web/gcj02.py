"""WGS-84 ⇄ GCJ-02 (and BD-09) for the dashboard: the formulas live in :mod:`hub.org.datums` (the grid import
converts with them too); static/gcj02.js implements the same in the browser."""
from __future__ import annotations

from hub.org.datums import (
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    out_of_china,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

__all__ = ["bd09_to_gcj02", "bd09_to_wgs84", "gcj02_to_bd09", "gcj02_to_wgs84", "out_of_china", "wgs84_to_bd09",
           "wgs84_to_gcj02"]
