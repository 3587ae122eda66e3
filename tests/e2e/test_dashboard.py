"""The control-room dashboard in real headless Chromium against a real hub and broker: sign in; a kiosk's
report shows in the live feed and on the map within seconds; the dispatcher reassigns the auto-dispatched
case from the dashboard and the task reaches the new handler's phone; a viewer gets no actions (and the API
refuses them); another community's operator sees none of it. Screenshots of every page at 1920×1080 and
1366×768 go to test-artifacts/dashboard/."""
from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from hub import sample
from hub.auth.operators import OperatorDirectory
from hub.org.geojson_io import load_community
from hub.org.repo import DeviceBinding, Person, Unit, save_device_bindings, save_people, save_units
from terminal.device import Device
from terminal.photos import synthetic_photo
from tests.e2e.dashboard_pages import goto, wait_ready

from .conftest import wait_until

PASSWORD = "Grid-line-2026!"
FUSHI, OTHER = "440402004005", "440402004006"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "dashboard"
SIZES = [(1920, 1080), (1366, 768)]
PAGE_ERRORS: list[str] = []  # uncaught errors in any page; a test ends by asserting there were none
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-dev-shm-usage"]  # a small /dev/shm crashes renderers


def setup_org(store) -> None:
    load_community(store, sample.load_raw())
    ring = [[113.53, 22.244], [113.534, 22.244], [113.534, 22.25], [113.53, 22.25], [113.53, 22.244]]
    with store.write() as conn:
        save_units(conn, [Unit(OTHER, "community", "湾仔社区", "440402004"),
                          Unit(OTHER + "001", "grid", "湾仔一网格", OTHER, {"type": "Polygon", "coordinates": [ring]})],
                   store.clock())
        save_people(conn, [Person("p-disp-fs", "福石调度员", "dispatcher", FUSHI),
                           Person("p-disp-wz", "湾仔调度员", "dispatcher", OTHER)])
        save_device_bindings(conn, [DeviceBinding("tablet-wz-01", "tablet", OTHER + "001")])
    ops = OperatorDirectory(store, clock=store.clock)
    ops.create("fushi", PASSWORD, role="dispatcher", scope_code=FUSHI, person_id="p-disp-fs", display_name="福石调度")
    ops.create("watcher", PASSWORD, role="viewer", scope_code=FUSHI, display_name="值班观察")
    ops.create("wanzai", PASSWORD, role="dispatcher", scope_code=OTHER, person_id="p-disp-wz", display_name="湾仔调度")


@pytest.fixture
def browser():
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def signed_in_page(browser, hub, username: str, size=(1920, 1080)) -> Page:
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, locale="zh-CN")
    page = context.new_page()
    page.on("pageerror", lambda exc: PAGE_ERRORS.append(f"{username}: {exc}"))
    page.goto(hub.base_url + "/")
    expect(page.get_by_test_id("login")).to_be_visible()
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.login button[type=submit]")
    wait_ready(page, "map")
    return page




def test_report_to_reassignment_with_roles_and_scope(hub, browser, tmp_path):
    setup_org(hub.store)
    grid1 = next(g for g in sample.grids() if g.code.endswith("001"))
    lon, lat = grid1.centre()
    page = signed_in_page(browser, hub, "fushi")
    expect(page.get_by_test_id("live-state")).to_have_attribute("data-state", "open", timeout=10000)

    devices = tmp_path / "devices"
    with Device("kiosk-fs-01", devices / "kiosk", hub.broker_url) as kiosk, \
            Device("phone-fs-lead-02", devices / "phone2", hub.broker_url) as phone2:
        kiosk.report("E0101", lat, lon, accuracy_m=5, note="楼下垃圾堆积", photos=[synthetic_photo(7, 640, 480)])
        # the live feed and the map, without a reload
        item = page.locator(".feed-item:has(.feed-step[data-transition=report])").first  # one card per case
        expect(item).to_be_visible(timeout=8000)
        case_id = item.get_attribute("data-case")
        expect(item.locator("img.thumb")).to_have_count(1)
        expect(page.locator(f".case-pin.case-{case_id}")).to_have_count(1, timeout=5000)
        expect(item.locator(".feed-step[data-transition=dispatch]")).to_have_count(1, timeout=15000)  # 智能派单
        expect(page.locator(".feed-item")).to_have_count(1)  # report, file, dispatch: still one card

        # the dispatcher reassigns it from the case view; the task reaches the other grid leader's phone
        page.locator(f".feed-item[data-case='{case_id}']").first.click()
        wait_ready(page, "case")
        expect(page.get_by_test_id("holder")).to_have_text("网格长陈")
        expect(page.locator(".photos img.photo")).to_have_count(1)
        page.click("button.action[data-transition=reassign]")
        page.select_option("select[name=assignee]", "p-lead-02")
        page.fill("input[name=reason]", "网格长陈休假")
        page.click("button[data-submit=reassign]")
        expect(page.get_by_test_id("holder")).to_have_text("网格长李", timeout=10000)
        expect(page.get_by_test_id("timeline")).to_contain_text("网格长陈休假")
        task = wait_until(lambda: [t for t in phone2.tasks() if t.case_id == case_id], 20,
                          message="the reassigned task on phone-fs-lead-02")[0]
        assert task.body.role.value == "handler" and task.body.why == "reassign"

    # a viewer: no actions offered, and the API refuses one anyway
    viewer = signed_in_page(browser, hub, "watcher")
    goto(viewer, hub, f"#/case/{case_id}", "case")
    expect(viewer.get_by_test_id("actions")).to_contain_text("只读")
    expect(viewer.locator("button.action")).to_have_count(0)
    refused = viewer.request.post(f"{hub.base_url}/api/cases/{case_id}/transitions",
                                  data={"transition": "suspend", "reason": "试试"})
    assert refused.status == 403

    # another community's dispatcher: not in the feed, not on the map, not by its id
    other = signed_in_page(browser, hub, "wanzai")
    expect(other.get_by_test_id("live-state")).to_have_attribute("data-state", "open", timeout=10000)
    expect(other.locator(".feed-item")).to_have_count(0)
    expect(other.locator(".case-pin, .case-cluster")).to_have_count(0)
    assert other.request.get(f"{hub.base_url}/api/cases/{case_id}").status == 404
    goto(other, hub, f"#/case/{case_id}", "case")
    expect(other.get_by_test_id("case-error")).to_be_visible()

    screenshots(browser, hub, case_id)
    assert PAGE_ERRORS == []


def screenshots(browser, hub, case_id: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pages = [("map", "#/map"), ("feed", "#/feed"), ("case", f"#/case/{case_id}"), ("board", "#/board"),
             ("devices", "#/devices"), ("stats", "#/stats")]
    for width, height in SIZES:
        context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
        page = context.new_page()
        page.goto(hub.base_url + "/app/")
        expect(page.get_by_test_id("login")).to_be_visible()
        page.screenshot(path=ARTIFACTS / f"login-{width}x{height}.png")
        page.fill("input[name=username]", "fushi")
        page.fill("input[name=password]", PASSWORD)
        page.click("form.login button[type=submit]")
        wait_ready(page, "map")
        for name, hash_ in pages:
            goto(page, hub, hash_, name)
            page.wait_for_timeout(400)  # tiles of nothing, but let the canvas and charts settle
            page.screenshot(path=ARTIFACTS / f"{name}-{width}x{height}.png")
        context.close()
    assert len(list(ARTIFACTS.glob("*.png"))) >= 14


def test_gcj02_in_the_browser_matches_python(hub, browser):
    from hub.web.gcj02 import wgs84_to_gcj02

    setup_org(hub.store)
    page = signed_in_page(browser, hub, "fushi")
    points = [(31.1774276, 121.5272106), (22.543847, 113.912316), (39.911954, 116.377817), (22.25, 113.52)]
    got = page.evaluate("""async (points) => {
        const m = await import('/app/gcj02.js');
        return points.map(([lat, lon]) => m.wgs84ToGcj02(lat, lon));
    }""", points)
    for (lat, lon), (glat, glon) in zip(points, got, strict=False):
        want = wgs84_to_gcj02(lat, lon)
        assert abs(glat - want[0]) < 1e-9 and abs(glon - want[1]) < 1e-9
