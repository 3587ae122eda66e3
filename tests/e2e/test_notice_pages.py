"""居务公开 in real headless Chromium against a real hub, broker and kiosk: an operator publishes a pinned finance
notice with an image to the community from the #notices page; the list and the notice's detail show its delivery
counts moving as the running kiosk confirms it delivered and then shows it on screen (the other four kiosks of the
community are off); the per-kiosk table says which; withdrawing asks first and takes it out of the live list. The
page in English has no Chinese label of its own. Screenshots: test-artifacts/dashboard/notices-{1920,1366}.png,
notices-en-1920.png and the filled form, notices-form-1920.png."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from playwright.sync_api import Page, expect

from hub import sample
from tests.e2e.dashboard_pages import goto

from .conftest import wait_until
from .test_casework_pages import CJK, OWN_TEXTS, browser, errors, sign_in  # noqa: F401 - fixtures
from .test_dashboard import setup_org
from .test_kiosk_lookup import kiosk

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "dashboard"
FUSHI = "440402004005"
DELIVERED_ONLY, SHOWN = "5 台终端 · 1 已送达 · 0 已显示", "5 台终端 · 1 已送达 · 1 已显示"


def counts_text(page: Page) -> str:
    return page.get_by_test_id("notice-detail-counts").inner_text()


def test_publish_a_notice_and_watch_its_delivery_counts_move(browser, errors, hub, tmp_path):
    setup_org(hub.store)
    grid1 = next(g for g in sample.grids() if g.code.endswith("001"))
    lon, lat = grid1.centre()
    screen = kiosk(tmp_path, "kiosk-fs-01", hub.broker_url, lat, lon)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    table = np.full((600, 900, 3), 250, np.uint8)
    for row in range(8):
        cv2.line(table, (40, 60 + row * 64), (860, 60 + row * 64), (60, 60, 60), 2)
    image_file = tmp_path / "finance-table.png"
    cv2.imwrite(str(image_file), table)
    try:
        assert screen.device.wait_connected(20)
        page = sign_in(browser, hub, errors)
        goto(page, hub, "#/notices", "notices")
        expect(page.get_by_test_id("notices-empty")).to_be_visible()
        page.get_by_test_id("notice-new").click()
        page.get_by_test_id("notice-title").fill("2026年第三季度社区财务收支公示")
        page.get_by_test_id("notice-text").fill("本季度收入 12.6 万元，支出 9.8 万元，明细见附图。")
        page.get_by_test_id("notice-category").select_option("finance")
        page.get_by_test_id("notice-target").select_option(FUSHI)
        page.get_by_test_id("notice-pinned").check()
        page.get_by_test_id("notice-images").set_input_files(str(image_file))
        expect(page.locator(".notice-form .create-thumbs img")).to_have_count(1)
        page.screenshot(path=str(ARTIFACTS / "notices-form-1920.png"))
        page.get_by_test_id("notice-submit").click()

        # the kiosk has it (delivered) but has not put it on screen yet
        expect(page.get_by_test_id("notice-detail-counts")).to_have_text(DELIVERED_ONLY, timeout=15000)
        row = page.locator("table.notices tbody tr").first
        expect(row).to_contain_text("财务公开")
        expect(row).to_contain_text("置顶")
        expect(page.locator(".ntc-images img")).to_have_count(1)
        # the kiosk's notices screen lists it: shown, and the page's counts move by themselves (polling)
        wait_until(lambda: [i.title for i in screen.notices.show()] == ["2026年第三季度社区财务收支公示"], 20,
                   message="the notice on the kiosk's screen")
        expect(page.get_by_test_id("notice-detail-counts")).to_have_text(SHOWN, timeout=15000)
        expect(row.get_by_test_id("notice-counts")).to_have_text(SHOWN, timeout=15000)
        kiosk_row = page.locator("table[data-testid=notice-kiosks] tr[data-device=kiosk-fs-01]")
        expect(kiosk_row).to_contain_text("已显示")
        expect(page.locator("table[data-testid=notice-kiosks] tr[data-device=kiosk-fs-02]")).to_contain_text("待送达")
        page.screenshot(path=str(ARTIFACTS / "notices-1920.png"))

        small = sign_in(browser, hub, errors, size=(1366, 768))
        goto(small, hub, "#/notices", "notices")
        small.locator("table.notices tbody tr").first.click()
        expect(small.get_by_test_id("notice-detail-counts")).to_have_text(SHOWN)
        small.screenshot(path=str(ARTIFACTS / "notices-1366.png"))

        english = sign_in(browser, hub, errors, lang="en")
        goto(english, hub, "#/notices", "notices")
        english.locator("table.notices tbody tr").first.click()
        expect(english.get_by_test_id("notice-detail-counts")).to_have_text("5 kiosks · 1 delivered · 1 shown")
        chinese = [(text, where) for text, where in english.evaluate(OWN_TEXTS) if CJK.search(text)]
        assert chinese == [], chinese
        english.screenshot(path=str(ARTIFACTS / "notices-en-1920.png"))

        # amend: version 2 of the same notice; its counts start again and the kiosk shows only the new title
        page.get_by_test_id("notice-amend").click()
        expect(page.locator(".notice-form .create-thumbs img")).to_have_count(1)  # the image is kept
        page.get_by_test_id("notice-title").fill("2026年第三季度社区财务收支公示（更正）")
        page.get_by_test_id("notice-submit").click()
        expect(page.locator("table.notices tbody tr").first).to_contain_text("v2")
        expect(page.get_by_test_id("notice-detail-counts")).to_have_text(DELIVERED_ONLY, timeout=15000)
        wait_until(lambda: [i.title for i in screen.notices.show()] == ["2026年第三季度社区财务收支公示（更正）"], 20,
                   message="version 2 on the kiosk's screen")
        expect(page.get_by_test_id("notice-detail-counts")).to_have_text(SHOWN, timeout=15000)
        expect(page.locator(".ntc-versions li")).to_have_count(2)

        # withdraw: asked first, then gone from the kiosk and from the live list
        page.get_by_test_id("notice-withdraw").click()
        expect(page.get_by_test_id("confirm")).to_be_visible()
        page.get_by_test_id("confirm-ok").click()
        expect(page.get_by_test_id("notices-empty")).to_be_visible()
        wait_until(lambda: screen.notices.show() == [], 20, message="withdrawn from the kiosk")
        page.get_by_test_id("notices-tab-history").click()
        expect(page.locator("table.notices tbody tr")).to_have_count(1)
        expect(page.locator("table.notices tbody tr").first).to_contain_text("已撤回")
    finally:
        screen.stop()
