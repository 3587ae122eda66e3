"""The 单元网格 admin page in real headless Chromium against a whole hub (MQTT, intake, routing):

an admin imports a GeoJSON file drawn on a GCJ-02 map (the hub stores it in WGS-84); drags a grid's corner into
its neighbour and is refused, with the overlap drawn; shrinks the neighbour first (the gap it leaves is shown), then
grows the grid (the corner snaps onto the neighbour's) and saves with no overlap and no gap left; a kiosk report at
a point now inside the edited grid becomes a case of that grid; a building is added below a grid, and a new grid's
outline is drawn by clicking its corners (two snapping onto the neighbour's). The admin of another community sees
none of it on the page and the API answers 404 to every touch. The English page has no Chinese label of its own.
Screenshots:
test-artifacts/dashboard/units-admin-{1920,1366}.png, units-overlap-1920.png and units-admin-en-1920.png."""
from __future__ import annotations

import json

from playwright.sync_api import Page, expect
from shapely.geometry import Point, shape

from hub.auth.operators import OperatorDirectory
from hub.org.datums import wgs84_to_gcj02
from hub.org.repo import get_unit
from terminal.device import Device
from tests.e2e.dashboard_pages import goto

from .conftest import wait_until
from .test_case_intake import case_rows
from .test_casework_pages import CJK, OWN_TEXTS, browser, errors, sign_in  # noqa: F401 - fixtures
from .test_dashboard import ARTIFACTS, FUSHI, OTHER, PASSWORD, setup_org
from .test_device_admin_pages import status

GRID1, GRID2, GRID6, GRID7 = FUSHI + "001", FUSHI + "002", FUSHI + "006", FUSHI + "007"
SHARED = (22.25, 113.5236)  # the middle corner grids 1 and 2 share (lat, lon)
MOVED = (22.25, 113.5250)  # where it goes: into grid 2
PROBE = (22.25, 113.5244)  # in grid 2 before, in grid 1 after


def south_grid_file(path) -> None:
    """A new grid south of the community, as a GCJ-02 map tool exports it (the file says so in ``crs``)."""
    wgs = [(22.238, 113.52), (22.238, 113.5355), (22.244, 113.5355), (22.244, 113.52), (22.238, 113.52)]
    ring = [[round(lon, 9), round(lat, 9)] for lat, lon in (wgs84_to_gcj02(a, b) for a, b in wgs)]
    feature = {"type": "Feature", "properties": {"code": GRID6, "name": "福石六网格（南区）"},
               "geometry": {"type": "Polygon", "coordinates": [ring]}}
    crs = {"type": "name", "properties": {"name": "GCJ-02"}}
    path.write_text(json.dumps({"type": "FeatureCollection", "crs": crs, "features": [feature]}, ensure_ascii=False),
                    encoding="utf-8")


def node(page: Page, code: str):
    return page.locator(f".units-tree li[data-code='{code}'] > button")


def screen_point(page: Page, lat: float, lon: float) -> tuple[float, float]:
    """Where the units map draws a WGS-84 position, in page pixels."""
    x, y = page.evaluate("""([lat, lon]) => {
        const u = window.__gridline.units, p = u.map.latLngToContainerPoint(u.show(lat, lon));
        const r = u.map.getContainer().getBoundingClientRect();
        return [r.left + p.x, r.top + p.y]; }""", [lat, lon])
    return x, y


def drag_corner(page: Page, index: int, lat: float, lon: float) -> None:
    """Drag the outline editor's corner ``index`` to (lat, lon) (WGS-84; shown where the base map draws it)."""
    handle = page.locator(f".vertex-handle span[data-index='{index}']").locator("..")
    box = handle.bounding_box()
    start = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    target = screen_point(page, lat, lon)
    page.mouse.move(*start)
    page.mouse.down()
    for step in range(1, 9):
        page.mouse.move(start[0] + (target[0] - start[0]) * step / 8, start[1] + (target[1] - start[1]) * step / 8)
    page.mouse.up()


def edit(page: Page, code: str) -> None:
    node(page, code).click()
    expect(page.get_by_test_id("unit-code")).to_have_text(code)
    page.get_by_test_id("edit-outline").click()
    expect(page.locator(".vertex-handle")).not_to_have_count(0)


def test_admin_imports_edits_and_routing_follows_others_see_nothing(hub, browser, errors, tmp_path):
    setup_org(hub.store)
    ops = OperatorDirectory(hub.store, clock=hub.store.clock)
    ops.create("fsadmin", PASSWORD, role="admin", scope_code=FUSHI, display_name="福石管理员")
    ops.create("wzadmin", PASSWORD, role="admin", scope_code=OTHER, display_name="湾仔管理员")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = sign_in(browser, hub, errors, username="fsadmin")
    page.hover("nav .nav-group[data-group=admin]")  # the 系统管理 menu opens on hover
    expect(page.locator("nav a[data-page=units]")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "nav-admin-menu.png"))
    goto(page, hub, "#/units", "units")
    expect(node(page, GRID1)).to_contain_text("福石一网格")

    # Import: a GCJ-02 file, converted to WGS-84 by the hub.
    south = tmp_path / "south.geojson"
    south_grid_file(south)
    page.get_by_test_id("import-file").set_input_files(str(south))
    expect(page.get_by_test_id("import-done")).to_contain_text("GCJ-02")
    expect(node(page, GRID6)).to_contain_text("福石六网格")
    stored = get_unit(hub.store, GRID6).geometry["coordinates"][0]
    assert abs(stored[0][0] - 113.52) < 1e-6 and abs(stored[0][1] - 22.238) < 1e-6, stored[0]

    # Growing grid 1 into grid 2 first: refused, the overlap drawn and named.
    edit(page, GRID1)
    drag_corner(page, 2, *MOVED)
    expect(page.get_by_test_id("overlap")).to_contain_text("福石二网格")
    page.get_by_test_id("save-outline").click()
    expect(page.locator("#toasts")).to_contain_text("有重叠")
    page.screenshot(path=str(ARTIFACTS / "units-overlap-1920.png"))
    assert get_unit(hub.store, GRID1).geometry["coordinates"][0][2] == [SHARED[1], SHARED[0]]
    page.get_by_test_id("cancel-outline").click()

    # Shrink grid 2 (the gap it leaves is shown), then grow grid 1 onto the new corner: no overlap, no gap.
    edit(page, GRID2)
    drag_corner(page, 5, *MOVED)
    expect(page.get_by_test_id("gap")).to_have_count(1)
    page.get_by_test_id("save-outline").click()
    expect(page.get_by_test_id("edit-outline")).to_be_visible()
    corner = get_unit(hub.store, GRID2).geometry["coordinates"][0][5]
    assert abs(corner[0] - MOVED[1]) < 1e-4 and abs(corner[1] - MOVED[0]) < 1e-4, corner  # a pixel or two
    edit(page, GRID1)
    drag_corner(page, 2, corner[1], corner[0])
    expect(page.get_by_test_id("outline-ok")).to_be_visible()
    page.get_by_test_id("save-outline").click()
    expect(page.get_by_test_id("edit-outline")).to_be_visible()
    grid1 = shape(get_unit(hub.store, GRID1).geometry)
    assert grid1.contains(Point(PROBE[1], PROBE[0]))
    assert get_unit(hub.store, GRID1).geometry["coordinates"][0][2] == corner  # snapped: the edge is shared
    expect(page.get_by_test_id("outline-ok")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "units-admin-1920.png"))

    # Routing follows the new outline: a report at the probe point becomes a case of grid 1.
    with Device("kiosk-fs-units", tmp_path / "kiosk", hub.broker_url) as kiosk:
        kiosk.report("E0501", PROBE[0], PROBE[1], accuracy_m=0, note="消防通道被占用")
        assert kiosk.wait_drained(30)
    rows = wait_until(lambda: case_rows(hub.store), 20, message="a case for the report")
    assert rows[0]["grid_code"] == GRID1, rows[0]

    # A building (楼栋) below the grid: the next serial of the grid's code, in the tree at once.
    node(page, GRID1).click()
    page.get_by_test_id("child-name").fill("福石花园 1 栋")
    page.get_by_test_id("create-child").click()
    expect(node(page, GRID1 + "001")).to_contain_text("福石花园 1 栋")
    assert get_unit(hub.store, GRID1 + "001").level == "building"

    # A new grid drawn on the map: its corners clicked, the two on grid 5's east edge snapping onto grid 5's.
    node(page, FUSHI).click()
    page.get_by_test_id("child-name").fill("福石七网格（河东）")
    page.get_by_test_id("create-child").click()
    expect(node(page, GRID7)).to_be_visible()
    node(page, GRID7).click()
    page.get_by_test_id("draw-outline").click()
    while page.locator("#toasts .toast-close").count():  # as the admin would: the toasts cover the map's corner
        page.locator("#toasts .toast-close").first.click()
    for lat, lon in ((22.244, 113.53552), (22.244, 113.5395), (22.256, 113.5395), (22.256, 113.53548)):
        page.mouse.click(*screen_point(page, lat, lon))
    page.get_by_test_id("finish-drawing").click()
    expect(page.get_by_test_id("outline-ok")).to_be_visible()
    page.get_by_test_id("save-outline").click()
    expect(page.get_by_test_id("edit-outline")).to_be_visible()
    drawn = get_unit(hub.store, GRID7).geometry["coordinates"][0]
    assert drawn[0] == [113.5355, 22.244] and drawn[3] == [113.5355, 22.256], drawn  # snapped exactly
    assert abs(drawn[1][0] - 113.5395) < 1e-4 and len(drawn) == 5

    small = sign_in(browser, hub, errors, username="fsadmin", size=(1366, 768))
    goto(small, hub, "#/units", "units")
    node(small, GRID1).click()
    expect(small.get_by_test_id("outline-ok")).to_be_visible()
    small.screenshot(path=str(ARTIFACTS / "units-admin-1366.png"))
    small.context.close()

    english = sign_in(browser, hub, errors, username="fsadmin", lang="en")
    goto(english, hub, "#/units", "units")
    node(english, GRID2).click()
    expect(english.get_by_test_id("outline-report")).to_be_visible()
    chinese = [(text, where) for text, where in english.evaluate(OWN_TEXTS) if CJK.search(text)]
    assert not chinese, f"Chinese in the English units page: {chinese[:8]}"
    english.screenshot(path=str(ARTIFACTS / "units-admin-en-1920.png"))
    english.context.close()

    # Another community's admin: 福石 is not on the page, and every touch of it is 404.
    other = sign_in(browser, hub, errors, username="wzadmin")
    goto(other, hub, "#/units", "units")
    expect(node(other, OTHER)).to_be_visible()
    expect(other.locator(".units-tree li")).to_have_count(2)  # 湾仔社区 and its grid
    assert other.locator(f"[data-code='{FUSHI}'], [data-code='{GRID1}']").count() == 0
    geometry = get_unit(hub.store, GRID1).geometry
    assert status(other, "GET", f"/api/units/{GRID1}/outline-report") == 404
    assert status(other, "PATCH", f"/api/units/{GRID1}", {"name": "x"}) == 404
    assert status(other, "PUT", f"/api/units/{GRID1}/outline", {"geometry": geometry}) == 404
    assert status(other, "POST", "/api/units", {"level": "building", "name": "x", "parent_code": GRID1}) == 404
    assert GRID1 not in other.evaluate("async () => (await fetch('/api/units/export')).text()")
    assert get_unit(hub.store, GRID1).name.startswith("福石一网格")
    # a dispatcher sees no admin entry and is refused
    clerk = sign_in(browser, hub, errors, username="fushi")
    expect(clerk.locator("nav a[data-page=units]")).to_be_hidden()
    assert status(clerk, "GET", "/api/units") == 403
