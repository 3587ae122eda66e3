"""Base maps in real headless Chromium (docs/basemaps.md), one hub per kind:

- mbtiles: the map page draws the hub's own /tiles from a small generated MBTiles file (no internet);
- 天地图: the base and the label layer are both requested, on several of the subdomains t0-t7, with the key;
- Baidu (BD-09): the tile asked for at the map's centre is the one an independent Python Baidu-Mercator gives,
  rows counted northwards as Baidu counts them.
The internet tile servers are answered by the test (page.route). Screenshot: test-artifacts/dashboard/
basemap-mbtiles-1920.png."""
from __future__ import annotations

import io
import math
import re
from urllib.parse import parse_qs, urlparse

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from hub.process.runner import HubRunner
from hub.settings import HubSettings
from tests.e2e.dashboard_pages import goto
from tests.hub.web.test_basemaps import make_mbtiles, png

from .test_casework_pages import browser, errors, sign_in  # noqa: F401 - fixtures
from .test_dashboard import ARTIFACTS, setup_org

TILE = png((235, 225, 200))
KEY = "e2e0123456789abc"


def labelled(key: tuple[int, int, int]) -> bytes:
    """A tile that says where it belongs (z/x/y), so the screenshot shows each one in its place."""
    image = Image.new("RGB", (256, 256), (236, 228, 206))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 255, 255), outline=(190, 180, 150))
    draw.text((8, 8), "/".join(map(str, key)), fill=(120, 100, 60))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def xyz_tiles(zooms: range, west: float, south: float, east: float, north: float) -> list[tuple[int, int, int]]:
    def tile(z: int, lon: float, lat: float) -> tuple[int, int]:
        n = 2 ** z
        y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
        return int((lon + 180) / 360 * n), int(y)

    out = []
    for z in zooms:
        (x0, y0), (x1, y1) = tile(z, west, north), tile(z, east, south)
        out += [(z, x, y) for x in range(x0 - 1, x1 + 2) for y in range(y0 - 1, y1 + 2)]
    return out


@pytest.fixture
def start_hub(own_broker, tmp_path, unique):
    runners = []

    def start(**settings) -> HubRunner:
        runner = HubRunner(HubSettings(broker_url=own_broker.url, data_dir=tmp_path / f"hub{len(runners)}",
                                       http_port=0, client_id=f"e2e-hub-{unique}-{len(runners)}", **settings)).start()
        runners.append(runner)
        setup_org(runner.store)
        return runner

    yield start
    for runner in runners:
        runner.stop()


def test_mbtiles_tianditu_and_baidu_base_maps(start_hub, browser, errors, tmp_path):
    path = tmp_path / "fushi.mbtiles"
    make_mbtiles(path, {key: labelled(key) for key in xyz_tiles(range(12, 18), 113.515, 22.235, 113.545, 22.26)})
    hub = start_hub(map_basemap="mbtiles", map_mbtiles_file=path)
    page = sign_in(browser, hub, errors)
    goto(page, hub, "#/map", "map")
    loaded = page.locator("img.leaflet-tile-loaded[src^='/tiles/']")
    expect(loaded.first).to_be_visible(timeout=15000)
    assert page.evaluate("() => [...document.querySelectorAll('img.leaflet-tile-loaded')]"
                         ".every((i) => i.naturalWidth === 256)")
    expect(page.locator(".leaflet-control-attribution")).to_contain_text("测试底图")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "basemap-mbtiles-1920.png"))
    page.context.close()

    tianditu = start_hub(map_basemap="tianditu", map_tianditu_key=KEY)
    asked: list[str] = []
    page = sign_in(browser, tianditu, errors)
    page.route(re.compile(r"https://t[0-7]\.tianditu\.gov\.cn/.*"),
               lambda route: (asked.append(route.request.url), route.fulfill(body=TILE, content_type="image/png")))
    goto(page, tianditu, "#/map", "map")
    expect(page.locator("img.leaflet-tile-loaded").first).to_be_visible(timeout=15000)
    page.wait_for_timeout(500)
    layers = {parse_qs(urlparse(u).query)["LAYER"][0] for u in asked}
    hosts = {urlparse(u).hostname for u in asked}
    assert layers == {"vec", "cva"}, layers
    assert len(hosts) >= 3 and hosts <= {f"t{i}.tianditu.gov.cn" for i in range(8)}, hosts
    assert all(parse_qs(urlparse(u).query)["tk"] == [KEY] for u in asked)
    page.context.close()

    baidu = start_hub(map_basemap="baidu")
    asked = []
    page = sign_in(browser, baidu, errors)
    page.route(re.compile(r"https://maponline[0-3]\.bdimg\.com/.*"),
               lambda route: (asked.append(route.request.url), route.fulfill(body=TILE, content_type="image/png")))
    goto(page, baidu, "#/map", "map")
    expect(page.locator("img.leaflet-tile-loaded").first).to_be_visible(timeout=15000)
    centre = page.evaluate("() => { const m = window.__gridline.map.map, c = m.getCenter();"
                           " return [c.lat, c.lng, Math.round(m.getZoom())]; }")
    want = baidu_tile(*centre)
    got = {(int(q["x"][0]), int(q["y"][0]), int(q["z"][0])) for q in (parse_qs(urlparse(u).query) for u in asked)}
    assert want in got, (want, sorted(got)[:6])
    page.context.close()


def baidu_tile(lat: float, lon: float, zoom: int) -> tuple[int, int, int]:
    """Baidu's tile (x, y, z) holding a BD-09 point: ellipsoidal Mercator on Clarke 1866, 2^(18-z) m a pixel,
    256-pixel tiles from the origin, y counted northwards."""
    a, b = 6378206.0, 6356584.314245179
    e = math.sqrt(1 - (b / a) ** 2)
    phi = math.radians(lat)
    x = a * math.radians(lon)
    y = a * math.log(math.tan(math.pi / 4 + phi / 2) * ((1 - e * math.sin(phi)) / (1 + e * math.sin(phi))) ** (e / 2))
    scale = 2 ** (zoom - 18) / 256
    return math.floor(x * scale), math.floor(y * scale), zoom
