"""Base maps (hub/web/basemaps.py, docs/basemaps.md): what /api/map/config tells the dashboard for each kind (天地图
base + label layers on t0-t7 with the key, Baidu in BD-09, the hub's MBTiles, plain XYZ, none), the /tiles route
reading a small generated MBTiles file (XYZ y flipped to the file's TMS rows, the format's content type, 404 for a
missing tile, sign-in required), and BD-09 against a published reference value."""
from __future__ import annotations

import io
import sqlite3

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from hub.app import create_app
from hub.org.datums import bd09_to_wgs84, gcj02_to_bd09, wgs84_to_bd09
from hub.settings import HubSettings
from hub.web.basemaps import basemap_config, mbtiles_metadata, read_tile
from tests.hub.api.dashboard_fixtures import load_two_communities, sign_in


def png(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (256, 256), colour).save(out, "PNG")
    return out.getvalue()


def make_mbtiles(path, tiles: dict[tuple[int, int, int], bytes]) -> None:
    """An MBTiles 1.3 file; ``tiles`` keyed by XYZ (z, x, y), stored in TMS rows as the spec says."""
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
        conn.execute("CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB)")
        conn.executemany("INSERT INTO metadata VALUES (?, ?)", [
            ("name", "福石社区离线底图"), ("format", "png"), ("minzoom", "0"), ("maxzoom", "16"),
            ("attribution", "© 测试底图")])
        conn.executemany("INSERT INTO tiles VALUES (?, ?, ?, ?)",
                         [(z, x, 2 ** z - 1 - y, data) for (z, x, y), data in tiles.items()])


def test_config_for_each_kind(tmp_path):
    key = "0123456789abcdef"
    tianditu = basemap_config(HubSettings(map_basemap="tianditu", map_tianditu_key=key))
    assert tianditu["crs"] == "wgs84" and len(tianditu["layers"]) == 2
    base, labels = tianditu["layers"]
    assert base["subdomains"] == labels["subdomains"] == "01234567"
    assert base["url"].startswith("https://t{s}.tianditu.gov.cn/vec_w/wmts?") and "LAYER=vec" in base["url"]
    assert "LAYER=cva" in labels["url"] and f"tk={key}" in labels["url"]
    assert all(p in base["url"] for p in ("TILEMATRIX={z}", "TILEROW={y}", "TILECOL={x}"))
    assert "天地图" in base["attribution"]
    image = basemap_config(HubSettings(map_basemap="tianditu", map_tianditu_key=key, map_tianditu_style="img"))
    assert ["LAYER=img" in image["layers"][0]["url"], "LAYER=cia" in image["layers"][1]["url"]] == [True, True]
    assert basemap_config(HubSettings(map_basemap="tianditu"))["kind"] == "none"  # no key: no broken tiles

    baidu = basemap_config(HubSettings(map_basemap="baidu"))
    assert baidu["crs"] == "bd09" and baidu["layers"][0]["subdomains"] == "0123"
    amap = basemap_config(HubSettings(map_tile_url="https://webrd0{s}.is.autonavi.com/appmaptile?style=8&x={x}&y={y}"
                                                   "&z={z}", map_tile_crs="gcj02", map_tile_subdomains="1234"))
    assert amap["kind"] == "xyz" and amap["crs"] == "gcj02" and amap["layers"][0]["subdomains"] == "1234"
    assert basemap_config(HubSettings())["kind"] == "none"

    path = tmp_path / "fushi.mbtiles"
    make_mbtiles(path, {(0, 0, 0): png((200, 0, 0))})
    offline = basemap_config(HubSettings(map_basemap="mbtiles", map_mbtiles_file=path))
    assert offline["layers"] == [{"url": "/tiles/{z}/{x}/{y}", "subdomains": "abc", "attribution": "© 测试底图",
                                  "max_zoom": 16}]
    assert mbtiles_metadata(path)["name"] == "福石社区离线底图"


def test_tiles_route_reads_the_mbtiles_file_with_the_tms_flip(store, tmp_path):
    path = tmp_path / "fushi.mbtiles"
    # z=2: XYZ row 1 is TMS row 2; a different colour on the mirrored row shows a missing flip at once.
    make_mbtiles(path, {(2, 3, 1): png((200, 0, 0)), (2, 3, 2): png((0, 0, 200)), (0, 0, 0): png((0, 160, 0))})
    assert read_tile(path, 2, 3, 1) != read_tile(path, 2, 3, 2)
    load_two_communities(store)
    app = create_app(HubSettings(data_dir=tmp_path / "data", map_basemap="mbtiles", map_mbtiles_file=path),
                     store=store, start_bridge=False, clock=store.clock)
    with TestClient(app) as client:
        assert client.get("/tiles/2/3/1").status_code == 401
        sign_in(client, "fushi")
        answer = client.get("/tiles/2/3/1")
        assert answer.status_code == 200 and answer.headers["content-type"] == "image/png"
        assert Image.open(io.BytesIO(answer.content)).getpixel((10, 10)) == (200, 0, 0)
        assert Image.open(io.BytesIO(client.get("/tiles/2/3/2").content)).getpixel((10, 10)) == (0, 0, 200)
        assert client.get("/tiles/0/0/0").status_code == 200
        assert client.get("/tiles/2/0/0").status_code == 404  # not in the file
        assert client.get("/tiles/2/4/0").status_code == 404  # outside the zoom level
        assert client.get("/api/map/config").json()["basemap"]["layers"][0]["url"] == "/tiles/{z}/{x}/{y}"


def test_tiles_route_without_a_file_is_404(store, tmp_path):
    load_two_communities(store)
    app = create_app(HubSettings(data_dir=tmp_path / "data"), store=store, start_bridge=False, clock=store.clock)
    with TestClient(app) as client:
        sign_in(client, "fushi")
        assert client.get("/tiles/0/0/0").status_code == 404
        assert client.get("/api/map/config").json()["basemap"] == {"kind": "none", "crs": "wgs84", "layers": []}


@pytest.mark.parametrize("lat,lon", [(22.25, 113.52), (39.9087, 116.3975), (31.2304, 121.4737)])
def test_bd09_round_trip(lat, lon):
    back = bd09_to_wgs84(*wgs84_to_bd09(lat, lon))
    assert abs(back[0] - lat) < 1e-5 and abs(back[1] - lon) < 1e-5  # a metre


def test_bd09_reference():
    # 天安门: GCJ-02 (39.90923, 116.397428) is Baidu's (39.915, 116.404), the value its own pickers give
    lat, lon = gcj02_to_bd09(39.90923, 116.397428)
    assert abs(lat - 39.915) < 1e-3 and abs(lon - 116.404) < 1e-3
