"""The control room's casework pages in real headless Chromium against a real hub, broker and kiosk (issue 15):
a kiosk's report found by the receipt code the kiosk showed and by the hub's reference; a report on a grid
boundary triaged into a chosen grid; a case created from a phone call (position clicked on the map, a photo
uploaded and resized in the browser); an urgent alarm that stays on every page until acknowledged; closing a
case that asks first and says it was done (also after a reload); every page in English without a Chinese label
(data - names, titles, notes - excepted: it is marked translate="no") and in Chinese without a raw catalogue key.
Screenshots of the case list, triage, new-case, map (under the alarm banner), board and case pages at
1920×1080 and 1366×768 go to test-artifacts/dashboard/ (<page>-<width>.png; the first three in English too:
<page>-<width>-en.png)."""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from hub.cases import CaseService
from terminal.device import Device
from terminal.photos import synthetic_photo
from tests.e2e.dashboard_pages import goto, wait_ready

from .conftest import wait_until
from .test_dashboard import CHROMIUM_ARGS, PASSWORD, setup_org

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "dashboard"
GRID1, GRID2, GRID3 = "440402004005001", "440402004005002", "440402004005003"
CENTRES = {GRID1: (22.25, 113.5217), GRID2: (22.25, 113.5247), GRID3: (22.25, 113.5277)}
BOUNDARY = (22.247, 113.5234)  # on the line between grids 1 and 2
REFERENCE = re.compile(r"^FS-\d{8}-\d{4}$")

# Every text node outside data (translate="no"), and the placeholders and aria-labels: what the dashboard itself says.
OWN_TEXTS = """() => {
  const skip = (el) => el.closest("[translate=no], script, style, noscript, datalist");
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const text = n.nodeValue.trim();
    if (text && !skip(n.parentElement)) out.push([text, n.parentElement.outerHTML.slice(0, 200)]);
  }
  for (const el of document.querySelectorAll("[placeholder], [aria-label]")) {
    if (skip(el)) continue;
    for (const a of ["placeholder", "aria-label"]) {
      if (el.getAttribute(a)) out.push([el.getAttribute(a), el.outerHTML.slice(0, 200)]);
    }
  }
  return out;
}"""
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")
RAW_KEY = re.compile(r"^[a-z]+\.[a-zA-Z_]+$")


@pytest.fixture
def browser():
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def errors():
    found: list[str] = []
    yield found
    assert found == [], found


def sign_in(browser, hub, errors, *, username="fushi", lang="zh-CN", size=(1920, 1080)) -> Page:
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, locale="zh-CN")
    context.add_init_script(f"localStorage.getItem('gridline.lang') || localStorage.setItem('gridline.lang', '{lang}')")
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(f"{username}: {exc}"))
    page.goto(hub.base_url + "/app/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.login button[type=submit]")
    wait_ready(page, "map")
    return page




def case_of(page: Page, hub, q: str, timeout: float = 20) -> dict:
    """The case a number names, through the hub's lookup (as the signed-in operator), once it exists."""
    def found():
        answer = page.request.get(f"{hub.base_url}/api/cases/lookup", params={"q": q})
        return answer.json() if answer.ok else None
    return wait_until(found, timeout, interval=0.3, message=f"case {q}")


def api(page: Page, hub, path: str, **params):
    answer = page.request.get(f"{hub.base_url}{path}", params=params or None)
    assert answer.ok, (path, answer.status, answer.text())
    return answer.json()


def confirm(page: Page, *, accept: bool = True) -> None:
    dialog = page.get_by_test_id("confirm")
    expect(dialog).to_be_visible()
    page.get_by_test_id("confirm-ok" if accept else "confirm-cancel").click()
    expect(dialog).to_have_count(0)


def test_find_triage_create_and_acknowledge(hub, browser, errors, tmp_path):
    setup_org(hub.store)
    page = sign_in(browser, hub, errors)
    with Device("kiosk-fs-01", tmp_path / "kiosk", hub.broker_url) as kiosk:
        # 1. a kiosk report, found by the receipt code the kiosk showed (编号 899de7) and by the hub's reference
        record = kiosk.report("E0101", *CENTRES[GRID1], accuracy_m=5, note="三号楼门口垃圾堆积",
                              photos=[synthetic_photo(7, 640, 480)])
        receipt = record.id[-6:]
        case = case_of(page, hub, receipt)
        assert REFERENCE.match(case["reference"]) and case["receipt_code"] == receipt
        goto(page, hub, "#/cases", "cases")
        page.get_by_test_id("case-search").fill(receipt)
        expect(page.get_by_test_id("exact-link")).to_have_text(case["reference"])
        row = page.locator(f"table.cases tr[data-case='{case['id']}']")
        expect(row).to_be_visible()
        expect(page.locator("table.cases tbody tr[data-case]")).to_have_count(1)
        expect(row).to_contain_text("暴露垃圾")  # the category's name, never E0101
        expect(row).to_contain_text("福石一网格")  # the grid's name, never its code
        expect(row).not_to_contain_text("E0101")
        expect(row).not_to_contain_text(GRID1)
        assert f"q={receipt}" in page.url
        page.reload()  # the filter is in the address: a reload (or a shared link) shows the same list
        wait_ready(page, "cases")
        expect(page.get_by_test_id("case-search")).to_have_value(receipt)
        expect(page.locator("table.cases tbody tr[data-case]")).to_have_count(1)
        page.get_by_test_id("case-search").fill(case["reference"])
        expect(page.get_by_test_id("exact-link")).to_have_text(case["reference"])
        expect(row).to_be_visible()
        page.locator("button.preset[data-preset=overdue]").click()  # nothing is overdue yet
        wait_ready(page, "cases")
        assert "overdue=1" in page.url and "order=deadline" in page.url
        expect(page.locator("table.cases td.empty")).to_be_visible()
        goto(page, hub, f"#/cases?q={case['reference']}", "cases")
        row.click()
        wait_ready(page, "case")
        expect(page.get_by_test_id("case-reference")).to_have_text(case["reference"])
        expect(page.get_by_test_id("case-category")).to_have_text("暴露垃圾")
        expect(page.get_by_test_id("photos-before").locator("img.photo")).to_have_count(1, timeout=15000)

        # 2. a report on the boundary of grids 1 and 2 waits in triage; filed into grid 2 by name
        edge = kiosk.report("E0201", *BOUNDARY, accuracy_m=40, note="电线杆上小广告")
        flagged = case_of(page, hub, edge.id[-6:])
        wait_until(lambda: any(x["case"]["id"] == flagged["id"] for x in api(page, hub, "/api/triage")["items"]), 20,
                   message="the boundary report in the triage queue")
        goto(page, hub, "#/triage", "triage")
        item = page.locator(f".triage-item[data-case='{flagged['id']}']")
        expect(item).to_be_visible()
        item.click()
        detail = page.get_by_test_id("triage-detail")
        expect(detail.locator(".reason[data-reason=straddles_boundary]").first).to_have_text("定位跨网格边界，请确认所属网格")
        expect(page.locator(".triage-map path.grid-shape.candidate")).to_have_count(2)
        expect(page.locator(".triage-map path.report-point")).to_have_count(1)
        expect(page.locator(".triage-map path.accuracy")).to_have_count(1)
        page.get_by_test_id("triage-grid").select_option(GRID2)
        page.get_by_test_id("triage-category").select_option(label="违规张贴悬挂广告")
        page.get_by_test_id("triage-file").click()
        expect(page.get_by_test_id("confirm")).to_contain_text("福石二网格")
        confirm(page)
        expect(page.get_by_test_id("toast").filter(has_text=flagged["reference"])).to_contain_text("已立案")
        expect(item).to_have_count(0)
        filed = api(page, hub, f"/api/cases/{flagged['id']}")
        assert filed["grid_code"] == GRID2 and filed["category_code"] == "E0202"
        assert filed["state"] in ("filed", "dispatched") and not filed["flagged_for_review"]

        # merged into the first case (found by its reference), and rejected with a reason
        twin = case_of(page, hub, kiosk.report("E0301", *BOUNDARY, accuracy_m=40, note="夜间施工噪音").id[-6:])
        junk = case_of(page, hub, kiosk.report("E0302", *BOUNDARY, accuracy_m=40, note="测试").id[-6:])
        waiting = lambda: {x["case"]["id"] for x in api(page, hub, "/api/triage")["items"]}
        wait_until(lambda: {twin["id"], junk["id"]} <= waiting(), 20, message="two more in triage")
        goto(page, hub, f"#/triage/{twin['id']}", "triage")
        expect(page.locator(f".triage-item.selected[data-case='{twin['id']}']")).to_be_visible()
        page.get_by_test_id("triage-merge-q").fill(case["reference"])
        page.get_by_test_id("triage-merge-find").click()
        expect(page.get_by_test_id("triage-merge-found")).to_contain_text(case["reference"])
        page.get_by_test_id("triage-merge").click()
        expect(page.get_by_test_id("confirm")).to_contain_text(case["reference"])
        confirm(page)
        expect(page.get_by_test_id("toast").filter(has_text=twin["reference"])).to_contain_text("已并案")
        assert api(page, hub, f"/api/cases/{twin['id']}")["merged_into"] == case["id"]
        page.locator(f".triage-item[data-case='{junk['id']}']").click()
        page.get_by_test_id("triage-reject").click()  # no reason: refused here, nothing sent
        expect(page.get_by_test_id("toast").filter(has_text="请填写理由")).to_be_visible()
        page.get_by_test_id("triage-reason").fill("测试上报，非真实事件")
        page.get_by_test_id("triage-reject").click()
        confirm(page)
        expect(page.get_by_test_id("toast").filter(has_text=junk["reference"])).to_contain_text("不予立案")
        assert api(page, hub, f"/api/cases/{junk['id']}")["state"] == "not_filed"
        expect(page.get_by_test_id("triage-empty")).to_be_visible()

    # 3. a phone call: position clicked on the map, urgency, a large photo resized here, then the new case's page
    goto(page, hub, "#/new", "new")
    page.locator(".segmented label.seg", has_text="来电").click()
    page.get_by_test_id("create-category").select_option(label="道路积水")
    page.locator(".segmented label.seg", has_text="较急").click()
    x, y = page.evaluate("([lat, lon]) => { const p = window.__gridline.createMap.map"
                         ".latLngToContainerPoint([lat, lon]); return [p.x, p.y]; }", list(CENTRES[GRID3]))
    page.get_by_test_id("create-map").click(position={"x": x, "y": y})
    expect(page.get_by_test_id("create-where")).to_contain_text("福石三网格")
    expect(page.get_by_test_id("create-grid")).to_have_value(GRID3)
    page.get_by_test_id("create-note").fill("居民来电：工业区路口积水约二十厘米")
    big = synthetic_photo(11, 3000, 2250, quality=95)
    page.get_by_test_id("create-photos").set_input_files(
        files=[{"name": "call.jpg", "mimeType": "image/jpeg", "buffer": big}])
    expect(page.locator(".create-thumb img")).to_have_count(1)
    page.get_by_test_id("create-submit").click()
    wait_ready(page, "case")
    reference = page.get_by_test_id("case-reference").inner_text()
    assert REFERENCE.match(reference), reference
    expect(page.get_by_test_id("toast").filter(has_text=reference)).to_contain_text("已创建案件")
    created = case_of(page, hub, reference)
    assert created["source"] == "phone" and created["severity"] == "high" and created["grid_code"] == GRID3
    assert abs(created["lat"] - CENTRES[GRID3][0]) < 1e-4 and abs(created["lon"] - CENTRES[GRID3][1]) < 1e-4
    photo = page.get_by_test_id("photos-before").locator("img.photo")
    expect(photo).to_have_count(1, timeout=15000)
    photo.evaluate("img => img.decode()")
    width = photo.evaluate("img => img.naturalWidth")
    assert width == 1600, width  # 3000 px wide in, resized to the longer side's 1600 px before upload
    expect(page.get_by_test_id("case-grid")).to_contain_text("福石三网格")

    # 4. an urgent report: the alarm banner on every page, through reloads, until acknowledged
    with Device("kiosk-fs-01", tmp_path / "kiosk", hub.broker_url) as kiosk:
        urgent = kiosk.report("E0403", *CENTRES[GRID2], accuracy_m=5, note="闻到燃气味", severity="urgent")
        alarmed = case_of(page, hub, urgent.id[-6:])
    banner = page.get_by_test_id("alarms")
    alarm = banner.locator(f"li.alarm[data-case='{alarmed['id']}']")
    expect(alarm).to_be_visible(timeout=25000)
    expect(alarm).to_contain_text(alarmed["reference"])
    expect(alarm).to_contain_text("燃气泄漏")
    expect(alarm).to_contain_text("福石二网格")
    page.reload()
    wait_ready(page, "case")
    expect(alarm).to_be_visible()
    goto(page, hub, "#/board", "board")
    expect(alarm).to_be_visible()
    alarm.get_by_test_id("alarm-ack").click()
    expect(alarm).to_have_count(0)
    expect(page.get_by_test_id("toast").filter(has_text=alarmed["reference"])).to_contain_text("已确认")
    assert all(a["case_id"] != alarmed["id"] for a in api(page, hub, "/api/alarms"))
    page.reload()
    wait_ready(page, "board")
    expect(alarm).to_have_count(0)


def test_closing_asks_first_and_says_it_was_done(hub, browser, errors, tmp_path):
    setup_org(hub.store)
    page = sign_in(browser, hub, errors)
    shot = synthetic_photo(5, 640, 480)
    with Device("kiosk-fs-01", tmp_path / "kiosk", hub.broker_url) as kiosk:
        record = kiosk.report("E0101", *CENTRES[GRID1], accuracy_m=5, note="垃圾满溢", photos=[shot])
        case = case_of(page, hub, record.id[-6:])
        sha = hashlib.sha256(shot).hexdigest()
        wait_until(lambda: hub.store.get_photo(sha), 20, message="the report's photo on the hub")
    wait_until(lambda: api(page, hub, f"/api/cases/{case['id']}")["state"] == "dispatched", 20, message="dispatched")
    # the grid leader works it on site (as the phone would)
    service, lead = CaseService(hub.store, clock=hub.store.clock), "p-lead-01"
    for step in ("accept", "arrive"):
        service.transition(case["id"], step, lead, origin="device")
    service.transition(case["id"], "resolve", lead, note="已清运", evidence=[sha], position=(*CENTRES[GRID1], 5.0),
                       origin="device")

    goto(page, hub, f"#/case/{case['id']}", "case")
    expect(page.get_by_test_id("case-state")).to_have_text("已处置")
    expect(page.get_by_test_id("photos-before")).to_contain_text("上报照片")
    expect(page.get_by_test_id("photos-after")).to_contain_text("处置照片")
    expect(page.get_by_test_id("photos-after").locator("img.photo")).to_have_count(1)
    expect(page.get_by_test_id("timeline")).to_contain_text("网格长陈")  # names, not p-lead-01
    expect(page.get_by_test_id("timeline")).not_to_contain_text(lead)
    page.click("button.action[data-transition=verify]")
    page.click("button[data-submit=verify]")
    expect(page.get_by_test_id("case-state")).to_have_text("已核查")
    expect(page.get_by_test_id("toast").filter(has_text="核查")).to_contain_text(case["reference"])

    page.click("button.action[data-transition=close]")
    page.click("button[data-submit=close]")
    expect(page.get_by_test_id("confirm")).to_contain_text("结案")
    confirm(page, accept=False)  # changed their mind: nothing happens
    expect(page.get_by_test_id("case-state")).to_have_text("已核查")
    assert api(page, hub, f"/api/cases/{case['id']}")["state"] == "verified"
    page.click("button[data-submit=close]")
    confirm(page)
    expect(page.get_by_test_id("case-state")).to_have_text("已结案")
    done = page.get_by_test_id("toast").filter(has_text="结案")
    expect(done).to_contain_text(case["reference"])
    page.reload()  # what the operator was told outlives the reload
    wait_ready(page, "case")
    expect(done).to_be_visible()
    assert api(page, hub, f"/api/cases/{case['id']}")["state"] == "closed"

    # reassigning lists the people near the case by grid, those without a phone marked
    with Device("kiosk-fs-01", tmp_path / "kiosk", hub.broker_url) as kiosk:
        other = case_of(page, hub, kiosk.report("E0201", *CENTRES[GRID2], accuracy_m=5, note="小广告").id[-6:])
    wait_until(lambda: api(page, hub, f"/api/cases/{other['id']}")["state"] == "dispatched", 20, message="dispatched")
    goto(page, hub, f"#/case/{other['id']}", "case")
    page.click("button.action[data-transition=reassign]")
    select = page.get_by_test_id("assignee-select")
    expect(select.locator("optgroup").first).to_have_attribute("label", re.compile("福石二网格.*本网格"))
    assert select.locator("option[value=p-lead-02]").count() == 0  # holds it already
    expect(select.locator("option[value=p-worker-02]")).to_have_count(1)
    unreachable = select.locator("option[data-can-receive=false]")
    if unreachable.count():
        expect(unreachable.first).to_contain_text("未绑定手机")


def test_every_page_in_english_and_no_raw_keys_with_screenshots(hub, browser, errors, tmp_path):
    setup_org(hub.store)
    page = sign_in(browser, hub, errors)
    with Device("kiosk-fs-01", tmp_path / "kiosk", hub.broker_url) as kiosk:
        kiosk.report("E0201", *BOUNDARY, accuracy_m=40, note="电线杆上小广告")  # waits in triage
        urgent = kiosk.report("E0403", *CENTRES[GRID2], accuracy_m=5, note="闻到燃气味", severity="urgent")
        for n, grid in enumerate((GRID1, GRID3, GRID1)):
            lat, lon = CENTRES[grid]
            kiosk.report(["E0101", "E0501", "C0110"][n], lat + 0.001 * n, lon, accuracy_m=5, note="楼下有情况",
                         photos=[synthetic_photo(n, 640, 480)])
        case = case_of(page, hub, urgent.id[-6:])
        wait_until(lambda: len(api(page, hub, "/api/cases")["items"]) >= 5, 20, message="five cases")
        wait_until(lambda: api(page, hub, "/api/triage")["items"], 20, message="one in triage")
    pages = [("map", "#/map"), ("feed", "#/feed"), ("board", "#/board"), ("cases", "#/cases"),
             ("triage", "#/triage"), ("new", "#/new"), ("devices", "#/devices"), ("stats", "#/stats"),
             ("case", f"#/case/{case['id']}")]

    def own_texts(p: Page) -> list[tuple[str, str]]:
        return [(text, where) for text, where in p.evaluate(OWN_TEXTS)]

    english = sign_in(browser, hub, errors, lang="en")
    for name, hash_ in pages:
        goto(english, hub, hash_, name)
        english.wait_for_timeout(500)  # late parts (devices, the live feed's first page)
        chinese = [(text, where) for text, where in own_texts(english) if CJK.search(text)]
        assert not chinese, f"{name}: Chinese in the English dashboard: {chinese[:8]}"
    # the forms and the confirmation dialog in English too
    goto(english, hub, f"#/case/{case['id']}", "case")
    # The reassign form fetches its people; slowed down here, it must not replace the suspend form clicked after it
    # (seen under load: the late answer put the reassign form back and the suspend button vanished).
    english.evaluate("""() => {
        const plain = window.fetch;
        window.fetch = (url, init) => String(url).includes("/assignees")
            ? new Promise((done) => setTimeout(done, 1500)).then(() => plain(url, init)) : plain(url, init);
    }""")
    english.click("button.action[data-transition=reassign]")
    english.click("button.action[data-transition=suspend]")
    english.wait_for_timeout(2000)  # the reassign form's people have arrived by now
    english.fill("input[name=reason]", "waiting for the gas company")
    english.click("button[data-submit=suspend]")
    expect(english.get_by_test_id("confirm")).to_be_visible()
    chinese = [(text, where) for text, where in own_texts(english) if CJK.search(text)]
    assert not chinese, f"confirmation: {chinese[:8]}"
    confirm(english, accept=False)

    for name, hash_ in pages:  # Chinese: no key shown raw (a label missing from the catalogue)
        goto(page, hub, hash_, name)
        page.wait_for_timeout(300)
        raw = [(text, where) for text, where in own_texts(page) if RAW_KEY.match(text)]
        assert not raw, f"{name}: raw catalogue keys: {raw[:8]}"

    screenshots(browser, hub, errors, case["id"])


def screenshots(browser, hub, errors, case_id: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    # map-alarm: the map page under the shell's alarm banner (map-<width>.png are tests/e2e/test_map_feed.py's)
    shots = [("cases", "#/cases", "cases"), ("triage", "#/triage", "triage"), ("new", "#/new", "new"),
             ("map-alarm", "#/map", "map"), ("board", "#/board", "board"), ("case", f"#/case/{case_id}", "case")]
    for width, height in [(1920, 1080), (1366, 768)]:
        for lang, suffix in (("zh-CN", ""), ("en", "-en")):
            page = sign_in(browser, hub, errors, lang=lang, size=(width, height))
            for name, hash_, page_name in shots if lang == "zh-CN" else shots[:3]:
                goto(page, hub, hash_, page_name)
                page.wait_for_timeout(600)  # let the maps settle
                page.screenshot(path=ARTIFACTS / f"{name}-{width}{suffix}.png")
            page.context.close()
    wanted = {f"{name}-{width}{suffix}.png" for width in (1920, 1366)
              for suffix, names in (("", shots), ("-en", shots[:3])) for name, _, _ in names}
    assert wanted <= {p.name for p in ARTIFACTS.glob("*.png")}, wanted - {p.name for p in ARTIFACTS.glob("*.png")}
