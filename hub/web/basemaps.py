"""Base maps for the dashboard's maps (docs/basemaps.md): what ``/api/map/config`` tells the browser to draw under
the grids (``basemap_config``), and ``/tiles/{z}/{x}/{y}``, the tiles of an MBTiles file served by the hub itself for
control rooms without internet (``map_basemap = "mbtiles"``).

Kinds (``map_basemap``): ``xyz`` - any tile URL template (``map_tile_url``; empty = no tiles, as before), in WGS-84 or
GCJ-02 (Amap, Tencent: ``map_tile_crs = "gcj02"``); ``tianditu`` - 天地图, a base layer and its label layer on
subdomains t0-t7 with the deployment's key (CGCS2000, which agrees with WGS-84 to well under a metre at grid scale);
``baidu`` - BD-09 tiles on Baidu's own tile grid (basemap.js gives the map Baidu's CRS); ``mbtiles`` - this hub's
``/tiles``; ``none`` - outlines on a plain background. The browser shifts WGS-84 positions onto GCJ-02 and BD-09 maps
for display and shifts what is picked on them back (static/gcj02.js); the hub stores WGS-84 only.

An MBTiles file is SQLite: ``tiles(zoom_level, tile_column, tile_row, tile_data)`` with rows counted from the south
(TMS), so XYZ's ``y`` becomes ``2^z - 1 - y``; ``metadata(name, value)`` gives the format and zoom range.
"""
from __future__ import annotations

import sqlite3
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from hub.auth.http import current_operator
from hub.settings import HubSettings

TIANDITU = ("https://t{s}.tianditu.gov.cn/%s_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=%s&STYLE=default"
            "&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=%s")
TIANDITU_LABELS = {"vec": "cva", "img": "cia", "ter": "cta"}  # 矢量 / 影像 / 地形 and their 注记 layers
TIANDITU_CREDIT = "天地图 © 国家地理信息公共服务平台"
BAIDU = "https://maponline{s}.bdimg.com/tile/?qt=vtile&x={x}&y={y}&z={z}&styles=pl&scaler=1&udt=20240101"
CONTENT_TYPES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp",
                 "pbf": "application/x-protobuf"}

router = APIRouter(tags=["base map"])


def basemap_config(settings: HubSettings) -> dict[str, Any]:
    """``{kind, crs, layers: [{url, subdomains, attribution, max_zoom}]}`` for static/basemap.js."""
    kind, crs = settings.map_basemap, settings.map_tile_crs
    credit = settings.map_tile_attribution

    def layer(url: str, subdomains: str = settings.map_tile_subdomains, attribution: str = credit,
              max_zoom: int = 18) -> dict[str, Any]:
        return {"url": url, "subdomains": subdomains, "attribution": attribution, "max_zoom": max_zoom}

    if kind == "tianditu" and settings.map_tianditu_key.get_secret_value():
        key, style = settings.map_tianditu_key.get_secret_value(), settings.map_tianditu_style
        return {"kind": kind, "crs": "wgs84", "layers": [
            layer(TIANDITU % (style, style, key), "01234567", credit or TIANDITU_CREDIT),
            layer(TIANDITU % (TIANDITU_LABELS[style], TIANDITU_LABELS[style], key), "01234567", "")]}
    if kind == "baidu":
        return {"kind": kind, "crs": "bd09", "layers": [layer(settings.map_tile_url or BAIDU, "0123",
                                                              credit or "© Baidu", 19)]}
    if kind == "mbtiles" and settings.map_mbtiles_file is not None:
        meta = mbtiles_metadata(settings.map_mbtiles_file)
        return {"kind": kind, "crs": crs, "layers": [layer("/tiles/{z}/{x}/{y}", "abc",
                                                           credit or meta.get("attribution", ""),
                                                           int(meta.get("maxzoom", 18)))]}
    if kind == "xyz" and settings.map_tile_url:
        return {"kind": kind, "crs": crs, "layers": [layer(settings.map_tile_url)]}
    return {"kind": "none", "crs": "wgs84", "layers": []}


def _connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)


@lru_cache(maxsize=4)
def mbtiles_metadata(path: Path) -> dict[str, str]:
    """The file's ``metadata`` table (format, minzoom, maxzoom, attribution, bounds ...)."""
    try:
        with _connect(path) as conn:
            return {str(k): str(v) for k, v in conn.execute("SELECT name, value FROM metadata")}
    except sqlite3.Error:
        return {}


def read_tile(path: Path, z: int, x: int, y: int) -> bytes | None:
    """The tile at XYZ (z, x, y), or None; the file counts rows from the south (TMS)."""
    if not (0 <= z <= 24 and 0 <= x < 2 ** z and 0 <= y < 2 ** z):
        return None
    with _connect(path) as conn:
        row = conn.execute("SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
                           (z, x, 2 ** z - 1 - y)).fetchone()
    return bytes(row[0]) if row else None


@router.get("/tiles/{z}/{x}/{y}", include_in_schema=False, dependencies=[Depends(current_operator)])
def tile(z: int, x: int, y: int, request: Request) -> Response:
    """A tile of the configured MBTiles file (signed-in operators: the dashboard's own requests carry the cookie)."""
    path = request.app.state.settings.map_mbtiles_file
    if path is None:
        raise HTTPException(404, "no MBTiles file configured (map_mbtiles_file)")
    data = read_tile(Path(path), z, x, y)
    if data is None:
        raise HTTPException(404, "no such tile")
    fmt = mbtiles_metadata(Path(path)).get("format", "png")
    headers = {"Cache-Control": "private, max-age=86400"}
    if fmt == "pbf" and data[:2] == b"\x1f\x8b":
        headers["Content-Encoding"] = "gzip"
    return Response(data, media_type=CONTENT_TYPES.get(fmt, "application/octet-stream"), headers=headers)
