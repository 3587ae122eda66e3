"""Where a task is and how far: a small offline map (grid outline, the case's pin, the phone's own fix), distance
and bearing in plain words, and the ``geo:`` URI a navigation app opens. No tiles, no network: the map is a local
flat projection in metres, drawn by ``terminal.app.ui.task_map.TaskMap`` with canvas instructions.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from terminal.app.i18n import Translator
from terminal.position.geo import haversine_m

_M_PER_DEG_LAT = 110_574.0
_M_PER_DEG_LON_EQ = 111_320.0
SCALE_STEPS = (5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000)
HERE_M = 15.0  # closer than this (or than the two fixes' accuracy) reads as "here"


def bearing_deg(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Initial great-circle bearing from point 1 to point 2, degrees clockwise from true north, [0, 360)."""
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    y = math.sin(dl) * math.cos(p2)
    x = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return math.degrees(math.atan2(y, x)) % 360.0


def compass_point(degrees: float) -> str:
    """One of the eight points (n, ne, e, ...), the key of its word in the catalogue (``dir.*``)."""
    return ("n", "ne", "e", "se", "s", "sw", "w", "nw")[int(((degrees % 360) + 22.5) // 45) % 8]


def rounded_distance(tr: Translator, metres: float) -> str:
    """Spoken precision: tens of metres below 1 km, tenths of a kilometre above."""
    if metres >= 1000:
        return tr.t("unit.km", n=f"{metres / 1000:.1f}")
    return tr.t("unit.m", n=max(10, int(round(metres / 10.0)) * 10))


def how_far(tr: Translator, own: tuple[float, float, float | None] | None,
            target: tuple[float, float, float] | None) -> str:
    """"约 320 米 · 东北" from the phone's fix (lat, lon, accuracy) to the task's place; plain words when unknown."""
    if target is None:
        return tr.t("where.no_place")
    if own is None:
        return tr.t("where.no_fix")
    lat, lon, accuracy = own
    metres = haversine_m(lat, lon, target[0], target[1])
    if metres <= max(HERE_M, accuracy or 0.0, target[2]):
        return tr.t("where.here")
    direction = tr.t("dir." + compass_point(bearing_deg(lat, lon, target[0], target[1])))
    return tr.t("where.far", distance=rounded_distance(tr, metres), direction=direction)


def geo_uri(lat: float, lon: float) -> str:
    """RFC 5870 ``geo:`` with a ``q=`` query, which Android's map and navigation apps drop a pin on."""
    return f"geo:{lat:.6f},{lon:.6f}?q={lat:.6f},{lon:.6f}"


MIN_SPAN_M = 80.0  # a pin alone still shows its street, not a blur


@dataclass(frozen=True)
class MapView:
    """Everything in metres east (x) and north (y) of the pin (the origin)."""

    outline: list[tuple[float, float]]  # the grid's boundary (closed ring), empty when not known
    pin_accuracy_m: float
    me: tuple[float, float] | None
    me_accuracy_m: float

    def fit(self, width: float, height: float, pad: float = 0.08) -> tuple[float, float, float]:
        """(px per metre, x of the pin, y of the pin) to draw into a width x height box: north up, one scale on
        both axes, outline, pin and fix all inside with ``pad`` of each side to spare."""
        xs = [x for x, _ in self.outline] + ([self.me[0]] if self.me else []) + [0.0]
        ys = [y for _, y in self.outline] + ([self.me[1]] if self.me else []) + [0.0]
        span_x, span_y = max(max(xs) - min(xs), MIN_SPAN_M), max(max(ys) - min(ys), MIN_SPAN_M)
        scale = min(width * (1 - 2 * pad) / span_x, height * (1 - 2 * pad) / span_y)
        centre_x, centre_y = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
        return scale, width / 2 - centre_x * scale, height / 2 - centre_y * scale


def scale_bar_m(px_per_m: float, width: float) -> int:
    """The longest round length (5 m, 10 m, 20 m, 50 m, ...) that takes at most a quarter of the map's width."""
    fitting = [s for s in SCALE_STEPS if s * px_per_m <= width / 4]
    return fitting[-1] if fitting else SCALE_STEPS[0]


def _local(lat0: float, lon0: float, lat: float, lon: float) -> tuple[float, float]:
    return ((lon - lon0) * _M_PER_DEG_LON_EQ * math.cos(math.radians(lat0)), (lat - lat0) * _M_PER_DEG_LAT)


def map_view(target: tuple[float, float, float], own: tuple[float, float, float | None] | None,
             bbox: tuple[float, float, float, float] | None) -> MapView:
    """The task's map: pin at the origin, the phone's fix and the grid outline (its bounding box) around it."""
    lat0, lon0, accuracy = target
    outline: list[tuple[float, float]] = []
    if bbox is not None:
        lon_min, lat_min, lon_max, lat_max = bbox
        corners = [(lat_max, lon_min), (lat_max, lon_max), (lat_min, lon_max), (lat_min, lon_min), (lat_max, lon_min)]
        outline = [_local(lat0, lon0, la, lo) for la, lo in corners]
    me = _local(lat0, lon0, own[0], own[1]) if own is not None else None
    return MapView(outline, accuracy, me, (own[2] or 0.0) if own else 0.0)
