"""Chinese map datums: WGS-84 ⇄ GCJ-02 (AutoNavi/Amap, Tencent base maps) and GCJ-02 ⇄ BD-09 (Baidu).

Terminals report WGS-84 (GNSS); on a GCJ-02 base map a WGS-84 point lands a few hundred metres off, so the
dashboard shifts positions for display only (never stored shifted), and a grid file drawn on such a map is
converted back to WGS-84 on import (``hub/org/units_admin.py``). The forward transform is the standard
published one (Krasovsky ellipsoid); the inverse is iterative, good to ~1e-7 degrees. Outside China the
datums coincide. BD-09 is Baidu's further offset of GCJ-02 (closed form both ways, to ~1e-6 degrees). The
dashboard's JavaScript (static/gcj02.js) implements the same formulas; tests check both against the same
reference values. (Here in hub.org so the import can use it; hub/web/gcj02.py re-exports it.)
"""
from __future__ import annotations

import math

A = 6378245.0  # Krasovsky 1940 semi-major axis, as the published transform uses
EE = 0.00669342162296594323  # its first eccentricity squared


def out_of_china(lat: float, lon: float) -> bool:
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _transform(x: float, y: float) -> tuple[float, float]:
    xy, sx = x * y, math.sqrt(abs(x))
    xp, yp = x * math.pi, y * math.pi
    d = 20.0 * math.sin(6.0 * xp) + 20.0 * math.sin(2.0 * xp)
    lat = d + 20.0 * math.sin(yp) + 40.0 * math.sin(yp / 3.0) + 160.0 * math.sin(yp / 12.0) + 320 * math.sin(yp / 30.0)
    lon = (d + 20.0 * math.sin(xp) + 40.0 * math.sin(xp / 3.0) + 150.0 * math.sin(xp / 12.0)
           + 300.0 * math.sin(xp / 30.0))
    lat = lat * 2.0 / 3.0 - 100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * xy + 0.2 * sx
    lon = lon * 2.0 / 3.0 + 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * xy + 0.1 * sx
    return lat, lon


def _delta(lat: float, lon: float) -> tuple[float, float]:
    dlat, dlon = _transform(lon - 105.0, lat - 35.0)
    rad = lat / 180.0 * math.pi
    magic = 1 - EE * math.sin(rad) ** 2
    sqrt_magic = math.sqrt(magic)
    dlat = dlat * 180.0 / ((A * (1 - EE)) / (magic * sqrt_magic) * math.pi)
    dlon = dlon * 180.0 / (A / sqrt_magic * math.cos(rad) * math.pi)
    return dlat, dlon


def wgs84_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    if out_of_china(lat, lon):
        return lat, lon
    dlat, dlon = _delta(lat, lon)
    return lat + dlat, lon + dlon


def gcj02_to_wgs84(lat: float, lon: float, *, tolerance: float = 1e-9, max_steps: int = 30) -> tuple[float, float]:
    """Inverse by fixed-point iteration (the offset varies slowly, so it converges in a few steps)."""
    if out_of_china(lat, lon):
        return lat, lon
    wlat, wlon = lat, lon
    for _ in range(max_steps):
        glat, glon = wgs84_to_gcj02(wlat, wlon)
        dlat, dlon = glat - lat, glon - lon
        wlat, wlon = wlat - dlat, wlon - dlon
        if max(abs(dlat), abs(dlon)) < tolerance:
            break
    return wlat, wlon


X_PI = math.pi * 3000.0 / 180.0  # Baidu's constant


def gcj02_to_bd09(lat: float, lon: float) -> tuple[float, float]:
    z = math.hypot(lon, lat) + 0.00002 * math.sin(lat * X_PI)
    theta = math.atan2(lat, lon) + 0.000003 * math.cos(lon * X_PI)
    return z * math.sin(theta) + 0.006, z * math.cos(theta) + 0.0065


def bd09_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    x, y = lon - 0.0065, lat - 0.006
    z = math.hypot(x, y) - 0.00002 * math.sin(y * X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * X_PI)
    return z * math.sin(theta), z * math.cos(theta)


def wgs84_to_bd09(lat: float, lon: float) -> tuple[float, float]:
    return gcj02_to_bd09(*wgs84_to_gcj02(lat, lon))


def bd09_to_wgs84(lat: float, lon: float) -> tuple[float, float]:
    return gcj02_to_wgs84(*bd09_to_gcj02(lat, lon))
