"""议事 in the control room, in real headless Chromium against a real hub, broker and kiosks: an operator opens a
topic with a vote in the dashboard; it reaches the kiosks; residents vote there (one card twice, at two kiosks) and
leave a comment; the comment waits in the moderation queue until the operator approves it (then it goes back to the
kiosks with the topic); the live tally counts each card once; closing the vote records the resolution and sends
the result. Screenshots: test-artifacts/dashboard/deliberation-{1920,1366}.png and deliberation-en-1920.png; the
English page shows no Chinese label (data aside)."""
from __future__ import annotations

from playwright.sync_api import expect

from protocol import DeliberationTopic, VoteResult
from terminal.device import Device
from terminal.residents import resident_key
from tests.e2e.dashboard_pages import goto

from .conftest import wait_until
from .test_casework_pages import CJK, OWN_TEXTS, api, browser, errors, sign_in  # noqa: F401 (fixtures)
from .test_dashboard import ARTIFACTS, setup_org

KEY = "e2e-deployment-key-0001"
CARDS = ["440402199001011234", "440402198502023456", "44040219700303567X", "440402196804047890"]


def kiosk_topics(device: Device) -> list[DeliberationTopic]:
    return sorted((DeliberationTopic.model_validate(e.body) for e in device.inbox() if e.kind == "deliberation_topic"),
                  key=lambda t: t.version)


def test_moderate_a_comment_and_close_a_vote(hub, browser, errors, tmp_path):
    setup_org(hub.store)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = sign_in(browser, hub, errors)
    goto(page, hub, "#/deliberation", "deliberation")
    expect(page.get_by_test_id("dlb-queue")).to_contain_text("暂无待审核意见")
    page.get_by_test_id("dlb-new").click()
    page.get_by_test_id("dlb-title-input").fill("文明养犬公约（草案）")
    page.get_by_test_id("dlb-background-input").fill("近期小区犬只扰民、随地便溺问题较多，拟订立《文明养犬公约》，请居民提意见并投票。")
    page.get_by_test_id("dlb-publish").click()
    expect(page.get_by_test_id("dlb-form")).to_be_hidden()
    [topic] = api(page, hub, "/api/deliberation/topics")
    assert [o["label"] for o in topic["vote"]["options"]] == ["同意", "不同意", "弃权"]

    kiosks = [Device(f"kiosk-fs-0{i}", tmp_path / f"k{i}", hub.broker_url, deployment_key=KEY).start()
              for i in (1, 2, 3)]
    try:
        for kiosk in kiosks:
            wait_until(lambda k=kiosk: kiosk_topics(k), 30, message=f"the topic on {kiosk.device_id}")
        keys = [resident_key(c, KEY) for c in CARDS]
        kiosks[0].vote(topic["id"], keys[0], "o1")
        kiosks[1].vote(topic["id"], keys[0], "o2")  # the same card again, at another kiosk: not counted
        kiosks[1].vote(topic["id"], keys[1], "o1")
        kiosks[2].vote(topic["id"], keys[2], "o1")
        kiosks[2].vote(topic["id"], keys[3], "o3")
        said = kiosks[2].comment(topic["id"], keys[2], "建议在东门设置犬只便袋箱，遛狗请拴绳。")
        for kiosk in kiosks:
            assert kiosk.wait_drained(20)
        wait_until(lambda: api(page, hub, f"/api/deliberation/topics/{topic['id']}")["voters"] == 4, 20,
                   message="four cards counted")

        # the comment waits for moderation; approving publishes it to the kiosks with the topic
        comment_row = page.locator(f".dlb-comment[data-comment='{said.id}']")
        expect(comment_row).to_contain_text("便袋箱", timeout=15000)
        expect(page.get_by_test_id("dlb-voters")).to_contain_text("4", timeout=15000)
        expect(page.locator(".dlb-bar-n[data-option=o1]")).to_have_text("3")
        expect(page.get_by_test_id("dlb-grids")).to_contain_text("福石一网格")
        page.evaluate("document.querySelectorAll('#toasts > *').forEach((el) => el.remove())")  # not over the page
        for width, height in ((1920, 1080), (1366, 768)):
            page.set_viewport_size({"width": width, "height": height})
            page.screenshot(path=str(ARTIFACTS / f"deliberation-{width}.png"), full_page=True)
        comment_row.get_by_test_id("dlb-approve").click()
        expect(page.get_by_test_id("dlb-queue")).to_contain_text("暂无待审核意见")
        wait_until(lambda: kiosk_topics(kiosks[0])[-1].comments, 30, message="the approved comment on kiosk 1")
        assert [c.text for c in kiosk_topics(kiosks[0])[-1].comments] == [said.text]

        # close the vote with its resolution: the kiosks get the result
        page.set_viewport_size({"width": 1920, "height": 1080})
        page.get_by_test_id("dlb-resolution").fill("《文明养犬公约》表决通过")
        page.get_by_test_id("dlb-notice").fill("notice-2026-12")
        page.get_by_test_id("dlb-close").click()
        expect(page.get_by_test_id("dlb-resolution-text")).to_contain_text("表决通过")
        expect(page.get_by_test_id("dlb-close")).to_have_count(0)

        def result_on(kiosk):
            found = [VoteResult.model_validate(e.body) for e in kiosk.inbox() if e.kind == "vote_result"]
            return found[0] if found else None
        result = wait_until(lambda: result_on(kiosks[1]), 30, message="the result on kiosk 2")
        assert {c.option: c.count for c in result.counts} == {"o1": 3, "o2": 0, "o3": 1}
        assert result.voters == 4 and result.resolution == "《文明养犬公约》表决通过"
        statuses = api(page, hub, f"/api/deliberation/topics/{topic['id']}")["statuses"]
        # the card's second vote: refused, or counted first and then displaced (the kiosks sync in any order)
        assert statuses["kept"] == 4 and statuses.get("already_voted", 0) + statuses.get("displaced", 0) == 1

        # English: every label translated (data - titles, comments, names - is marked translate="no")
        page.evaluate("localStorage.setItem('gridline.lang', 'en')")
        page.reload()
        goto(page, hub, "#/deliberation", "deliberation")
        expect(page.get_by_test_id("dlb-tally")).to_be_visible()
        page.evaluate("document.querySelectorAll('#toasts > *').forEach((el) => el.remove())")  # said in Chinese
        chinese = [(text, where) for text, where in page.evaluate(OWN_TEXTS) if CJK.search(text)]
        assert chinese == [], chinese
        page.screenshot(path=str(ARTIFACTS / "deliberation-en-1920.png"), full_page=True)
    finally:
        for kiosk in kiosks:
            kiosk.stop()
