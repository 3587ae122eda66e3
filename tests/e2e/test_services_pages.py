"""The 服务 pages in real headless Chromium against a real hub (issue 18): the service queues per role, the dispute
register with both colours and the plan per colour - re-grading yellow → red in the page moves the lead and the time
limit, an outcome schedules the follow-up visit - and the home-visit diary with the cases each need became; the
English pages have no Chinese label.
Screenshots: test-artifacts/dashboard/services-{queue,disputes,visits}-{zh,en}.png."""
from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from playwright.sync_api import expect

from hub.auth.operators import OperatorDirectory
from hub.cases import CaseService
from hub.mqtt.ingest import RawMessage, ingest_batch
from hub.org.repo import Person, save_people
from hub.process.runner import HubRunner
from hub.services.desk import ServiceDesk
from hub.services.disputes import DisputeService
from hub.settings import HubSettings
from protocol import HomeVisit, encode, uplink_topic_for, uuid7
from tests.e2e.dashboard_pages import goto

from .conftest import wait_until
from .test_casework_pages import CJK, OWN_TEXTS, PASSWORD, browser, errors, sign_in  # noqa: F401 - fixtures
from .test_dashboard import FUSHI, setup_org

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "dashboard"
GRID1 = "440402004005001"
_seq = itertools.count(1)


@pytest.fixture
def hub(own_broker, tmp_path, unique):
    runner = HubRunner(HubSettings(broker_url=own_broker.url, data_dir=tmp_path / "hub", http_port=0,
                                   client_id=f"e2e-hub-{unique}")).start()
    yield runner
    runner.stop()


def services(store) -> str:
    """A mediation request graded yellow, a legal request, and a home visit with two needs, in 福石 grid 1."""
    with store.write() as conn:
        save_people(conn, [Person("p-med-fs", "调解员黄", "mediator", FUSHI, "phone-fs-med-01"),
                           Person("p-cm-fs", "居委会委员郭", "committee_member", FUSHI, "phone-fs-cm-01"),
                           Person("p-sec-fs", "社区书记梁", "community_secretary", FUSHI, "phone-fs-sec-01"),
                           Person("p-legal-fs", "法律顾问林", "legal_adviser", FUSHI, "phone-fs-legal-01"),
                           Person("p-prop-fs", "物业联系人马", "property_contact", GRID1, "phone-fs-prop-01")])
    cases = CaseService(store)
    desk = ServiceDesk(store, cases)
    mediation = desk.open_request("mediation", source_id=uuid7(), origin="kiosk", unit_code=GRID1,
                                  note="楼上漏水").case.id
    desk.open_request("legal", source_id=uuid7(), origin="kiosk", unit_code=GRID1, note="咨询租房合同")
    DisputeService(store, cases).grade(mediation, actor="p-disp-fs", reason="涉及三户", criteria=["households"],
                                       dispute_type="neighbour", parties=[{"private": "三楼住户"}])
    visit = HomeVisit(id=uuid7(), device_id="phone-fs-worker-01", seq=next(_seq), created_at=store.clock(),
                      grid_code=GRID1, household_key="4a" * 32, met="family", private_note="老人独居，子女在外",
                      needs=[{"kind": "legal", "level": "community"}, {"kind": "repair", "level": "grid"}])
    ingest_batch([RawMessage(uplink_topic_for(visit), encode(visit), store.clock())], store)
    return mediation


def test_queues_register_regrade_and_diary_zh_and_en(hub, browser, errors):
    setup_org(hub.store)
    mediation = services(hub.store)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = sign_in(browser, hub, errors)
    goto(page, hub, "#/services", "services")
    wait_until(lambda: page.locator("[data-testid=svc-requests] tr[data-case]").count() == 4, 30,
               message="four service cases (two from the visit)")
    queues = page.get_by_test_id("svc-queues")
    expect(queues.locator("[data-role=legal_adviser]")).to_contain_text("2")
    expect(queues.locator("[data-role=mediator]")).to_contain_text("1")  # routed at opening (now led by the plan)
    expect(queues.locator("[data-role=property_contact]")).to_contain_text("1")
    page.screenshot(path=str(ARTIFACTS / "services-queue-zh.png"), full_page=True)

    goto(page, hub, "#/services/disputes", "services")
    row = page.locator(f"[data-testid=dsp-register] tr[data-case='{mediation}']")
    expect(row.get_by_test_id("dsp-seriousness")).to_have_attribute("data-colour", "yellow")
    expect(row).to_contain_text("居委会委员郭")
    expect(page.get_by_test_id("dsp-plans")).to_contain_text("社区书记")
    row.get_by_test_id("dsp-regrade").click()
    page.get_by_test_id("dsp-criterion-violence").check()
    page.get_by_test_id("dsp-reason").fill("一方扬言报复")
    page.get_by_test_id("dsp-save").click()
    expect(row.get_by_test_id("dsp-seriousness")).to_have_attribute("data-colour", "red")
    expect(row.get_by_test_id("dsp-higher")).to_have_attribute("data-colour", "red")
    expect(row).to_contain_text("社区书记梁")
    expect(row).to_contain_text("3 天")
    goto(page, hub, "#/board", "board")  # the task board: the seriousness beside the deadline colour
    chip = page.locator(f".card[data-case='{mediation}'] [data-testid=board-seriousness]")
    expect(chip).to_have_attribute("data-colour", "red")
    expect(chip).to_contain_text("纠纷·红色预警")
    page.screenshot(path=str(ARTIFACTS / "services-board-zh.png"), full_page=True)
    goto(page, hub, "#/services/disputes", "services")
    row.get_by_test_id("dsp-set-outcome").click()
    page.get_by_test_id("dsp-outcome").select_option("settled")
    page.get_by_test_id("dsp-agreement").fill("三楼负责修复防水层")
    page.get_by_test_id("dsp-outcome-save").click()
    expect(row).to_contain_text("调解成功")
    expect(row.get_by_test_id("dsp-followup-done")).to_be_visible()
    expect(page.get_by_test_id("svc-success-rate")).to_contain_text("100.0%")
    assert CaseService(hub.store).get(mediation).assignee == "p-sec-fs"
    page.screenshot(path=str(ARTIFACTS / "services-disputes-zh.png"), full_page=True)

    goto(page, hub, "#/services/visits", "services")
    diary = page.locator("[data-testid=vis-diary] tr[data-visit]")
    expect(diary).to_have_count(1)
    expect(diary.first).to_contain_text("法律咨询（社区）")
    expect(diary.first).to_contain_text("老人独居")
    expect(diary.first.locator("a.card-ref")).to_have_count(2)
    page.screenshot(path=str(ARTIFACTS / "services-visits-zh.png"), full_page=True)

    # the top-level admin edits the red plan's time limit in the page: data, not code
    OperatorDirectory(hub.store).create("fsadmin", PASSWORD, role="admin", scope_code="440400", person_id="p-disp-fs")
    admin = sign_in(browser, hub, errors, username="fsadmin")
    goto(admin, hub, "#/services/disputes", "services")
    admin.get_by_test_id("plan-edit-red").click()
    admin.get_by_test_id("plan-limit").fill("2")
    admin.get_by_test_id("plan-save").click()
    expect(admin.locator(".dsp-plan[data-colour=red]")).to_contain_text("2 天")
    assert DisputeService(hub.store, CaseService(hub.store)).plans()["red"].time_limit_days == 2
    admin.get_by_test_id("criteria-edit").click()
    admin.screenshot(path=str(ARTIFACTS / "services-disputes-admin-zh.png"), full_page=True)

    english = sign_in(browser, hub, errors, lang="en")
    for tab in ("queue", "disputes", "visits"):
        goto(english, hub, f"#/services/{tab}", "services")
        chinese = [(text, where) for text, where in english.evaluate(OWN_TEXTS) if CJK.search(text)]
        assert not chinese, f"Chinese in the English {tab} page: {chinese[:8]}"
        english.screenshot(path=str(ARTIFACTS / f"services-{tab}-en.png"), full_page=True)
    expect(english.locator("[data-testid=dsp-register], [data-testid=vis-diary]").first).to_be_visible()
