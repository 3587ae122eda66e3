"""The live map and feed in headless Chromium against a real hub (and its broker): what an operator sees must read
right.

- layer order: a case pin drawn over a grid is what a click hits - its popup opens - also after the grids were
  redrawn; pins are opaque (no colour mixing with the grid's fill); the panes stack grids < terminals < pins;
- only cases that still need work colour a grid; resolved ones wait for their check apart (pin and count);
- clustering: many pins in one place make one cluster when zoomed out, coloured by the worst level inside, and
  come apart when zoomed in;
- the feed: the events of one case (report → file → dispatch) are one card, a duplicate report a count on it;
- a photo still uploading (GET /api/photos/<sha> 404) shows a "photo uploading" placeholder, never a broken
  image, and the photo itself once its last chunk has arrived;
- English: no Chinese outside what is marked as data (translate="no") on the map (popup open), feed and devices
  pages.

Screenshots of the map page at 1920×1080 and 1366×768 go to test-artifacts/dashboard/ (map-1920.png,
map-1366.png; and map-1366-en.png, feed-1920-en.png, map-popup-1920.png).
"""
from __future__ import annotations

import hashlib
import itertools
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from hub import sample
from hub.cases import CaseConflict, CaseService, IllegalTransition
from hub.jobs.wakeup import ring_jobs
from hub.mqtt.ingest import RawMessage, ingest_batch
from protocol import (
    IncidentReport,
    PhotoChunk,
    PhotoRef,
    Position,
    PositionFix,
    Severity,
    encode,
    uplink_topic_for,
    uuid7,
)
from terminal.photos import synthetic_photo
from tests.e2e.conftest import wait_until
from tests.e2e.dashboard_pages import goto, wait_ready
from tests.e2e.test_dashboard import CHROMIUM_ARGS, PASSWORD, setup_org

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "dashboard"
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")  # as test_casework_pages.py
SEQ = itertools.count(1)
GRIDS = {g.code[-3:]: g for g in sample.grids()}


@pytest.fixture
def browser():
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def open_map(browser, hub, *, size=(1920, 1080), lang="zh-CN", errors: list[str] | None = None) -> Page:
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, locale="zh-CN")
    context.add_init_script(f"localStorage.setItem('gridline.lang', {lang!r})")
    page = context.new_page()
    if errors is not None:
        page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(hub.base_url + "/app/")
    page.fill("input[name=username]", "fushi")
    page.fill("input[name=password]", PASSWORD)
    page.click("form.login button[type=submit]")
    wait_ready(page, "map")
    page.wait_for_function("document.querySelectorAll('#map path').length > 0", timeout=10000)  # the grids
    return page




def now() -> datetime:
    return datetime.now(UTC)


def kiosk_report(hub, grid: str, *, dlat: float = 0.0, category: str = "E0101", severity: str = "normal",
                 photos: list[bytes] = (), upload: bool = True) -> IncidentReport:
    """A report from the grid's kiosk as the MQTT bridge would store it (photos uploaded too, unless ``upload`` is
    False), and the hub's intake rung: the hub opens, files and dispatches the case itself."""
    g = GRIDS[grid]
    lon, lat = g.centre()
    refs = [PhotoRef(sha256=hashlib.sha256(p).hexdigest(), size=len(p), chunks=len(chunks_of(p))) for p in photos]
    message = IncidentReport(id=uuid7(), device_id=f"kiosk-fs-{grid[-2:]}", seq=next(SEQ), created_at=now(),
                             category=category, note="楼下有情况", severity=Severity(severity),
                             position=Position(lat=lat + dlat, lon=lon, accuracy_m=5), photos=refs)
    ingest_batch([RawMessage(uplink_topic_for(message), encode(message), now())], hub.store)
    if upload:
        for photo in photos:
            upload_photo(hub, message.device_id, photo)
    ring_jobs(hub.app.state, "intake")
    return message


def chunks_of(data: bytes, size: int = 8000) -> list[bytes]:
    return [data[i:i + size] for i in range(0, len(data), size)]


def upload_photo(hub, device_id: str, data: bytes) -> None:
    sha = hashlib.sha256(data).hexdigest()
    parts = chunks_of(data)
    chunks = [PhotoChunk(device_id=device_id, sha256=sha, index=i, count=len(parts), total_size=len(data), data=p)
              for i, p in enumerate(parts)]
    ingest_batch([RawMessage(uplink_topic_for(c), encode(c), now()) for c in chunks], hub.store)


def case_of(hub, record_id: str) -> str:
    """The case the hub opened for a report (waited for: the intake job opens it)."""
    def found():
        with hub.store.read() as conn:
            return conn.execute(sa.text("SELECT id FROM cases WHERE source_record_id = :r"), {"r": record_id}).scalar()
    return wait_until(found, 20, message=f"a case for report {record_id}")


def case_count(hub) -> int:
    with hub.store.read() as conn:
        return int(conn.execute(sa.text("SELECT count(*) FROM cases")).scalar_one())


def text_outside_data(page: Page) -> list[str]:
    """Text nodes with Chinese in them under #page that are not inside an element marked as data."""
    return page.evaluate("""(pattern) => {
        const cjk = new RegExp(pattern), bad = [];
        const walker = document.createTreeWalker(document.getElementById('page'), NodeFilter.SHOW_TEXT);
        while (walker.nextNode()) {
            const n = walker.currentNode;
            if (cjk.test(n.textContent) && !n.parentElement.closest('[translate=no]')) bad.push(n.textContent.trim());
        }
        return bad;
    }""", CJK.pattern)


def pin_hit(page: Page, case_id: str) -> bool:
    """Whether the topmost element at the pin's centre is the pin (not a grid, not a terminal, not a label)."""
    return page.evaluate("""(id) => {
        const pin = document.querySelector('.case-pin.case-' + id);
        if (!pin) return false;
        const r = pin.getBoundingClientRect();
        const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
        return !!top && !!top.closest('.case-pin.case-' + id);
    }""", case_id)


def test_pins_sit_above_the_grids_and_open_their_case(hub, browser):
    setup_org(hub.store)
    errors: list[str] = []
    page = open_map(browser, hub, errors=errors)
    expect(page.get_by_test_id("live-state")).to_have_attribute("data-state", "open", timeout=10000)
    photo = synthetic_photo(3, 320, 240)
    case_id = case_of(hub, kiosk_report(hub, "001", photos=[photo]).id)
    pin = page.locator(f".case-pin.case-{case_id}")
    expect(pin).to_have_count(1, timeout=10000)
    lon, lat = GRIDS["001"].centre()
    page.evaluate("([lat, lon]) => window.__gridline.map.map.setView([lat, lon], 18)", [lat, lon])

    # panes: grid fills < terminals < pins; the grids' paths are where they belong
    z = page.evaluate("""() => { const m = window.__gridline.map.map;
        return ['grids', 'devices', 'markerPane'].map((p) => +getComputedStyle(m.getPane(p)).zIndex); }""")
    assert z[0] < z[1] < z[2], z
    assert page.locator(".leaflet-grids-pane path").count() == 5
    assert page.locator(".leaflet-devices-pane canvas.device-layer").count() == 1
    assert page.locator(".leaflet-marker-pane .case-pin").count() >= 1
    # opaque pin: its colour is its own over any fill (blue stays blue, red stays red)
    colour = page.evaluate(f"getComputedStyle(document.querySelector('.case-{case_id} .pin-body')).backgroundColor")
    assert re.fullmatch(r"rgb\(\d+, \d+, \d+\)", colour), colour  # no alpha
    assert pin_hit(page, case_id)

    pin.click()  # Playwright refuses a click an overlying element would take
    popup = page.locator(f"[data-testid=case-popup][data-case='{case_id}']")
    expect(popup).to_be_visible()
    expect(popup.locator(".cp-ref")).to_have_text(re.compile(r"^[A-Z]+-\d{8}-\d{4}$"))
    expect(popup).to_contain_text(GRIDS["001"].name)
    expect(popup).to_contain_text("暴露垃圾")
    expect(popup.locator("figure.photo-set.before img.thumb")).to_have_count(1, timeout=10000)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.mouse.move(5, 300)
    page.screenshot(path=ARTIFACTS / "map-popup-1920.png")
    page.evaluate("window.__gridline.map.map.closePopup()")
    expect(popup).to_have_count(0)

    # The grids redrawn (new load, then another set of grids and back): still under the pin.
    page.evaluate("""async () => { const v = window.__gridline.map;
        const fc = await (await fetch('/api/map/grids')).json();
        v.setGrids(fc); v.setGrids({ ...fc, features: fc.features.slice(1) }); v.setGrids(fc); }""")
    assert pin_hit(page, case_id)
    pin.click()
    expect(popup).to_be_visible()
    popup.get_by_test_id("open-case").click()
    wait_ready(page, "case")
    assert errors == []


def test_resolved_cases_wait_apart_and_do_not_colour_the_grid(hub, browser):
    setup_org(hub.store)
    service = CaseService(hub.store, clock=hub.store.clock)
    g2 = GRIDS["002"]
    lon, lat = g2.centre()
    opened = service.open_case("e2e-open", "E0101", grid_code=g2.code, community_code=g2.code[:12],
                               position=(lat - 0.002, lon, 5.0)).case.id
    resolved = service.open_case("e2e-resolved", "E0102", grid_code=g2.code, community_code=g2.code[:12],
                                 position=(lat + 0.002, lon, 5.0)).case.id

    def reach(case_id: str, state: str):
        return wait_until(lambda: service.get(case_id).state == state, 20, message=f"{case_id} {state}")

    for case_id in (opened, resolved):
        if service.get(case_id).state == "filed":
            try:
                service.transition(case_id, "dispatch", "p-disp-fs", assignee="p-lead-02")
            except (IllegalTransition, CaseConflict):  # the hub's own dispatcher got there first
                pass
        reach(case_id, "dispatched")
    lead = service.get(resolved).assignee
    for step in ("accept", "arrive"):
        service.transition(resolved, step, lead)
    service.transition(resolved, "resolve", lead, note="已清理", evidence=["ab" * 32], position=(lat, lon, 5.0))

    page = open_map(browser, hub)
    page.evaluate("([lat, lon]) => window.__gridline.map.map.setView([lat, lon], 17)", [lat, lon])
    expect(page.locator(f".case-pin.case-{opened}.phase-open")).to_have_count(1, timeout=10000)
    expect(page.locator(f".case-pin.case-{resolved}.phase-check")).to_have_count(1)
    summary = page.get_by_test_id("map-summary")
    expect(summary.locator(".sum.open")).to_have_attribute("data-n", "1")
    expect(summary.locator(".sum.check")).to_have_attribute("data-n", "1")
    expect(page.get_by_test_id("map-legend")).to_contain_text("已处置待核查")
    # the pin of a resolved case does not look like an open one
    fills = page.evaluate("""(ids) => ids.map((id) =>
        getComputedStyle(document.querySelector('.case-' + id + ' .pin-body')).backgroundColor)""", [opened, resolved])
    assert fills[0] != fills[1] and fills[1] == "rgb(255, 255, 255)"


def test_many_pins_cluster_when_zoomed_out_and_screenshots(hub, browser):
    setup_org(hub.store)
    service = CaseService(hub.store, clock=hub.store.clock)
    g3 = GRIDS["003"]
    lon, lat = g3.centre()
    ids = []
    for i in range(36):
        dlat, dlon = ((i % 6) - 2.5) * 0.0003, ((i // 6) - 2.5) * 0.0003
        ids.append(service.open_case(f"e2e-many-{i}", "E0101", grid_code=g3.code, community_code=g3.code[:12],
                                     position=(lat + dlat, lon + dlon, 5.0)).case.id)
    red = case_of(hub, kiosk_report(hub, "003", dlat=0.0001, category="E0504", severity="urgent").id)
    for i, grid in enumerate(("001", "002", "004", "005")):  # a few elsewhere, for the screenshots
        kiosk_report(hub, grid, dlat=-0.003 + 0.001 * i, category=("E0101", "E0201", "E0501", "E0503")[i])
    wait_until(lambda: case_count(hub) >= 41, 20, message="every case opened")

    page = open_map(browser, hub)
    view = "([lat, lon, z]) => window.__gridline.map.map.setView([lat, lon], z)"
    page.evaluate(view, [lat, lon, 14])
    page.wait_for_timeout(300)
    cluster = page.locator(".case-cluster")
    expect(cluster.first).to_be_visible(timeout=10000)
    in_clusters = sum(int(n) for n in cluster.locator(".n").all_inner_texts())
    assert in_clusters >= 37 and page.locator(".case-pin").count() < 10
    # the cluster of grid 003 holds the urgent (red) case: it is red, whatever the blue ones around it
    biggest = max(cluster.all(), key=lambda c: int(c.locator(".n").inner_text()))
    assert "level-red" in biggest.get_attribute("class")
    page.evaluate(view, [lat, lon, 19])
    page.wait_for_timeout(300)
    assert page.locator(".case-pin").count() >= 30  # apart again
    assert pin_hit(page, red)

    # screenshots: the community as the page opens, at both sizes (and in English at the smaller one)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for size, lang, name in (((1920, 1080), "zh-CN", "map-1920.png"), ((1366, 768), "zh-CN", "map-1366.png"),
                             ((1366, 768), "en", "map-1366-en.png")):
        shot = open_map(browser, hub, size=size, lang=lang)
        shot.wait_for_function("document.querySelectorAll('.case-cluster, .case-pin').length > 0", timeout=10000)
        shot.mouse.move(size[0] - 5, size[1] - 5)
        shot.wait_for_timeout(1500)  # thumbnails in the feed
        shot.screenshot(path=ARTIFACTS / name)
        if lang == "en":
            assert text_outside_data(shot) == []
        shot.context.close()


def test_one_card_per_case_duplicates_counted_and_photos_placeheld(hub, browser):
    setup_org(hub.store)
    errors: list[str] = []
    page = open_map(browser, hub, errors=errors)
    expect(page.get_by_test_id("live-state")).to_have_attribute("data-state", "open", timeout=10000)
    goto(page, hub, "#/feed", "feed")
    photo = synthetic_photo(11, 320, 240)
    sha = hashlib.sha256(photo).hexdigest()
    first = kiosk_report(hub, "002", photos=[photo], upload=False)  # the photo's chunks have not arrived
    case_id = case_of(hub, first.id)
    card = page.locator(f".feed-item[data-case='{case_id}']")
    # report → file → dispatch (the hub's own 智能派单): three events, one card with the steps in order
    expect(card.locator(".feed-step[data-transition=dispatch]")).to_have_count(1, timeout=20000)
    expect(card).to_have_count(1)
    steps = card.locator(".feed-step:not(.more)").evaluate_all("els => els.map((e) => e.dataset.transition)")
    assert steps[0] == "report" and steps.index("file") < steps.index("dispatch"), steps
    expect(card.locator(".feed-ref")).to_have_text(re.compile(r"^[A-Z]+-\d{8}-\d{4}$"))
    expect(card.locator(".feed-where")).to_have_text(GRIDS["002"].name)
    # the photo is still uploading: a placeholder, no broken image
    pending = card.locator(f"figure.photo-set.before [data-testid=photo-pending][data-photo='{sha}']")
    expect(pending).to_have_text("照片上传中", timeout=10000)
    assert card.locator("img.thumb").count() == 0
    expect(card.locator("figure.photo-set.before figcaption")).to_have_text("上报照片")

    # a duplicate report of the same thing: a count on the case's card, not a card of its own
    kiosk_report(hub, "002", dlat=0.00005)
    expect(card.get_by_test_id("feed-dupes")).to_have_attribute("data-n", "1", timeout=20000)
    expect(card).to_have_count(1)
    assert page.locator(".feed-item").count() == 1

    # the last chunk arrives: the placeholder turns into the photo (retried, no reload)
    upload_photo(hub, first.device_id, photo)
    expect(card.locator(f"img.thumb[data-photo='{sha}']")).to_be_visible(timeout=20000)
    assert page.evaluate(f"document.querySelector(\"img.thumb[data-photo='{sha}']\").naturalWidth") == 320

    # English: the feed, the map (popup open) and the devices page say nothing in Chinese but data
    page.select_option("#lang", "en")
    wait_ready(page, "feed")
    expect(page.locator(f".feed-item[data-case='{case_id}'] figure.photo-set.before figcaption")).to_have_text(
        "Reported (before)")
    assert text_outside_data(page) == []
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.screenshot(path=ARTIFACTS / "feed-1920-en.png")
    goto(page, hub, "#/map", "map")
    page.locator(f".case-pin.case-{case_id}").click()
    expect(page.get_by_test_id("case-popup")).to_be_visible()
    assert text_outside_data(page) == []
    goto(page, hub, "#/devices", "devices")
    expect(page.locator("table.devices tbody tr").first).to_be_visible()
    assert text_outside_data(page) == []
    assert errors == []
    assert not CJK.search(page.get_by_test_id("live-state").inner_text())


def test_a_moving_terminal_follows_its_fixes_at_every_zoom(hub, browser):
    """A patrol tablet's fixes reach its dot through the real path (bridge store → live publisher → SSE → canvas);
    the dot sits where Leaflet puts that point, also after a zoom (the layer caches each fix's projection per
    zoom level), and a click there opens the tablet's popup."""
    setup_org(hub.store)
    errors: list[str] = []
    page = open_map(browser, hub, errors=errors)
    expect(page.get_by_test_id("live-state")).to_have_attribute("data-state", "open", timeout=10000)
    lon, lat = GRIDS["001"].centre()
    page.evaluate("([lat, lon]) => window.__gridline.map.map.setView([lat, lon], 18, { animate: false })", [lat, lon])
    where = """([id, lat, lon]) => { const v = window.__gridline.map, item = v.devices.items.get(id);
        if (!item || !item.px || !item.to) return null;
        const want = v.map.latLngToContainerPoint(v.devices.show(lat, lon));
        return { dx: item.px.x - want.x, dy: item.px.y - want.y, tail: item.tail.length,
                 x: item.px.x, y: item.px.y }; }"""

    def settled_at(fix_lat: float, fix_lon: float, timeout: float = 15000) -> dict:
        page.wait_for_function(f"(a) => {{ const r = ({where})(a); return r && Math.hypot(r.dx, r.dy) < 1.5; }}",
                               arg=["tablet-fs-01", fix_lat, fix_lon], timeout=timeout)
        return page.evaluate(where, ["tablet-fs-01", fix_lat, fix_lon])

    def report(fix_lat: float) -> None:
        fix = PositionFix(id=uuid7(), device_id="tablet-fs-01", seq=next(SEQ), created_at=now(),
                          position=Position(lat=fix_lat, lon=lon, accuracy_m=5))
        ingest_batch([RawMessage(uplink_topic_for(fix), encode(fix), now())], hub.store)

    def report_until_shown(fix_lat: float) -> dict:
        # A tablet reports every few seconds: a fix stored in the instant before the live publisher took its
        # starting cursor is never streamed (the next one is), so report again as the tablet would.
        for _ in range(5):
            report(fix_lat)
            try:
                return settled_at(fix_lat, lon, timeout=5000)
            except PlaywrightTimeout:
                continue
        report(fix_lat)
        return settled_at(fix_lat, lon, timeout=5000)  # the sixth report: a timeout here fails the test

    for step, dlat in enumerate((0.0, 0.0003)):
        first = report_until_shown(lat + dlat)
        assert first["tail"] >= step + 1
    page.evaluate("window.__gridline.map.map.setZoom(16, { animate: false })")
    page.wait_for_timeout(300)  # a frame or two at the new zoom
    zoomed = settled_at(lat + 0.0003, lon)
    assert (round(zoomed["x"]), round(zoomed["y"])) != (round(first["x"]), round(first["y"]))  # it was redrawn
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + zoomed["x"], box["y"] + zoomed["y"])
    expect(page.get_by_test_id("device-popup")).to_contain_text("tablet-fs-01")
    assert errors == []
