"""The 回访 page in real headless Chromium against a real hub: closed cases awaiting their follow-up, the overdue one
first; an operator logs a call (不满意 with a note) and the case goes back for rework, the queue and the KPIs move;
a kiosk's answer shows among the latest answers; the page in English has no Chinese label. Screenshots:
test-artifacts/dashboard/followups-{1920,1366}.png and followups-en-1920.png."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from hub.cases import CaseService
from hub.followup.service import FollowupService
from hub.process.runner import HubRunner
from hub.settings import HubSettings
from tests.e2e.dashboard_pages import goto
from tests.hub.followup.test_followup import close

from .test_casework_pages import CJK, OWN_TEXTS, browser, errors, sign_in  # noqa: F401 - fixtures
from .test_dashboard import FUSHI, setup_org

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "dashboard"
GRID1 = "440402004005001"
NOTE = "居民说井盖还在响"


@pytest.fixture
def hub(own_broker, tmp_path, unique):
    # the follow-up job passes once at start and then only when rung: this test makes the rows itself
    runner = HubRunner(HubSettings(broker_url=own_broker.url, data_dir=tmp_path / "hub", http_port=0,
                                   client_id=f"e2e-hub-{unique}", followup_sweep_s=3600)).start()
    yield runner
    runner.stop()


def closed_cases(store) -> list[str]:
    """Three closed cases of 福石 grid 1: one past its window (overdue), one awaiting, one answered at a kiosk."""
    cases = CaseService(store)
    ids = []
    for n, (title, window) in enumerate((("井盖松动", timedelta(0)), ("垃圾堆积", timedelta(hours=48)),
                                         ("路灯不亮", timedelta(hours=48)))):
        case_id = cases.open_case(f"src-fu-{n}", ["C0101", "E0101", "C0201"][n], grid_code=GRID1,
                                  community_code=FUSHI, title=title, position=(22.25, 113.5217, 5.0)).case.id
        close(cases, case_id)
        FollowupService(store, cases, window=window).open_rounds()
        ids.append(case_id)
    kiosk = FollowupService(store, cases)
    with store.write() as conn:
        kiosk.answer_in(conn, ids[2], "satisfied", channel="kiosk", by="kiosk-fs-02")
    return ids


def test_log_a_call_overdue_first_kpis_and_english(hub, browser, errors):
    setup_org(hub.store)
    overdue, waiting, answered = closed_cases(hub.store)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = sign_in(browser, hub, errors)
    goto(page, hub, "#/followups", "followups")
    rows = page.locator("[data-testid=followup-queue] tr[data-case]")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_have_attribute("data-case", overdue)  # overdue first
    expect(rows.nth(0)).to_contain_text("未回访（已超期）")
    expect(rows.nth(1)).to_contain_text("待回访")
    expect(rows.nth(0)).to_contain_text("福石一网格")
    answers = page.get_by_test_id("followup-answers")
    expect(answers).to_contain_text("满意")
    expect(answers).to_contain_text("终端刷卡")
    expect(page.get_by_test_id("followup-rate")).to_contain_text("50.0%")  # 1 answered of 2 due (one still open)
    expect(page.get_by_test_id("satisfaction-rate")).to_contain_text("100.0%")
    page.screenshot(path=str(ARTIFACTS / "followups-1920.png"), full_page=True)

    rows.nth(0).get_by_test_id("followup-log").click()
    page.get_by_test_id("followup-outcome").select_option("dissatisfied")
    page.get_by_test_id("followup-note").fill(NOTE)
    page.get_by_test_id("followup-save").click()
    expect(rows).to_have_count(1)
    expect(rows.nth(0)).to_have_attribute("data-case", waiting)
    expect(page.get_by_test_id("followup-rate")).to_contain_text("100.0%")  # 2 answered of 2 due
    expect(page.get_by_test_id("satisfaction-rate")).to_contain_text("50.0%")  # 1 satisfied of 2 answered
    expect(answers).to_contain_text("不满意")
    expect(answers).to_contain_text("电话")
    case = CaseService(hub.store).get(overdue)
    assert case.state == "dispatched"  # 返工 to the last handler
    [reopen] = [e for e in CaseService(hub.store).events(overdue) if e.transition == "reopen"]
    assert reopen.note == NOTE and reopen.actor == "p-disp-fs"

    goto(page, hub, "#/cases?state=closed", "cases")  # the case list shows each closed case's follow-up
    badge = "[data-testid=followup-badge]"
    expect(page.locator(f"table.cases tr[data-case='{waiting}'] {badge}")).to_contain_text("待回访")
    expect(page.locator(f"table.cases tr[data-case='{answered}'] {badge}")).to_contain_text("满意")
    goto(page, hub, f"#/case/{overdue}", "case")  # the case page says how its follow-up went
    expect(page.get_by_test_id("case-followup")).to_contain_text("不满意")
    expect(page.get_by_test_id("case-state")).to_contain_text("已派遣")
    expect(page.get_by_test_id("timeline")).to_contain_text(NOTE)  # the words: on the trail, for staff only
    goto(page, hub, f"#/case/{waiting}", "case")
    expect(page.get_by_test_id("case-followup")).to_contain_text("待回访")

    goto(page, hub, "#/stats", "stats")  # the statistics page carries 回访率 / 满意率 beside the other KPIs
    totals = page.get_by_test_id("totals")
    expect(totals).to_contain_text("回访率")
    expect(totals.locator(".kpi", has_text="满意率")).to_contain_text("50.0%")
    expect(page.locator("figure.chart-box", has_text="回访与满意度")).to_have_count(1)

    small = sign_in(browser, hub, errors, size=(1366, 768))
    goto(small, hub, "#/followups", "followups")
    small.screenshot(path=str(ARTIFACTS / "followups-1366.png"), full_page=True)

    english = sign_in(browser, hub, errors, lang="en")
    goto(english, hub, "#/followups", "followups")
    english.get_by_test_id("followup-log").first.click()
    chinese = [(text, where) for text, where in english.evaluate(OWN_TEXTS) if CJK.search(text)]
    assert not chinese, f"Chinese in the English follow-up page: {chinese[:8]}"
    expect(english.get_by_test_id("followup-answers")).to_contain_text("Dissatisfied")
    english.screenshot(path=str(ARTIFACTS / "followups-en-1920.png"), full_page=True)
    assert answered
