"""The 关爱巡查 page in real headless Chromium against a real hub: today's 1+1+N watch (a kiosk tap, a helper's 平安,
a helper's 异常 with its case, one still pending) with the evidence listed; staff close the 异常 as a false alarm
with a reason; the checkpoint coverage of the grid with the missed checkpoint; the hour ledger (by person, never
ranked). In English no Chinese label is left. Screenshots: test-artifacts/dashboard/welfare-{1920,1366}.png and
welfare-en-1920.png."""
from __future__ import annotations

import itertools
import time
from datetime import UTC, datetime, timedelta
from datetime import time as dt_time
from pathlib import Path

from playwright.sync_api import expect

from hub.mqtt.ingest import RawMessage, ingest_batch
from hub.patrols.checkpoints import CheckpointRegistry
from hub.patrols.job import PatrolJob
from hub.volunteers.ledger import Ledger
from hub.welfare import EnrolmentRegistry, EnrolmentSpec
from hub.welfare import repo as welfare_repo
from protocol import (
    ChecklistResult,
    CheckpointVisit,
    HelperObservation,
    PatrolLog,
    Position,
    ResidentCheckin,
    encode,
    uplink_topic_for,
    uuid7,
)
from tests.e2e.dashboard_pages import goto

from .test_casework_pages import CJK, OWN_TEXTS, browser, errors, sign_in  # noqa: F401 - fixtures
from .test_dashboard import setup_org

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "dashboard"
GRID1 = "440402004005001"
_seq = itertools.count(1)


def ingest(store, msg) -> None:
    assert ingest_batch([RawMessage(uplink_topic_for(msg), encode(msg), datetime.now(UTC))], store).stored_records == 1


def seed(store) -> dict[str, str]:
    registry = EnrolmentRegistry(store)
    now = datetime.now(UTC)
    ids = {}
    for key, label in (("a", "3栋2单元 独居老人A"), ("b", "6栋1单元 独居老人B"), ("c", "9栋3单元 独居老人C"),
                       ("d", "2栋1单元 独居老人D")):
        ids[key] = registry.enrol(EnrolmentSpec(resident_key=key * 64, grid_code=GRID1, window_start="00:00",
                                                window_end="23:59", primary_helper="p-patrol-01", label=label,
                                                informed=["p-lead-01"]), actor="p-disp-fs").id
    with store.write() as conn:  # enrolled just now, after today's window opened: watched since yesterday instead
        for enrolment_id in ids.values():
            welfare_repo.update_enrolment(conn, enrolment_id, {"active_since": now - timedelta(days=1)})
    ingest(store, ResidentCheckin(id=uuid7(), device_id="kiosk-fs-01", seq=next(_seq), created_at=now,
                                  checkin_kind="wellbeing", resident_key="a" * 64))
    for key, verdict, signs in (("b", "safe", ["curtains", "water"]), ("c", "abnormal", ["lights"])):
        ingest(store, HelperObservation(id=uuid7(), device_id="phone-helper-01", seq=next(_seq), created_at=now,
                                        resident_key=key * 64, verdict=verdict, signs=signs))
    points = CheckpointRegistry(store)
    gate = points.create(GRID1, "3栋东门", 22.2712, 113.5311, 30, "admin")
    lane = points.create(GRID1, "5栋消防通道", 22.2720, 113.5320, 30, "admin")
    points.create(GRID1, "电动车棚", 22.2705, 113.5300, 20, "admin")
    start = now - timedelta(minutes=70)
    for point, minutes, ok in ((gate, 10, False), (lane, 40, True)):
        ingest(store, CheckpointVisit(id=uuid7(), device_id="tablet-fs-01", seq=next(_seq),
                                      created_at=start + timedelta(minutes=minutes), checkpoint_id=point.id,
                                      position=Position(lat=point.lat, lon=point.lon, accuracy_m=5),
                                      results=[ChecklistResult(item="fire_lane_clear", ok=ok,
                                                               report_id=None if ok else uuid7())],
                                      patrol_started_at=start))
    ingest(store, PatrolLog(id=uuid7(), device_id="tablet-fs-01", seq=next(_seq),
                            created_at=start + timedelta(minutes=65), started_at=start,
                            ended_at=start + timedelta(minutes=65), distance_m=1500, fixes=60, grid_code=GRID1))
    PatrolJob(store, lambda: datetime.now(UTC)).run_once()
    Ledger(store).certify("p-patrol-01", 4, "社区消防演练", "p-disp-fs")
    return ids


def start_clear_of_midnight(tz, margin: timedelta = timedelta(minutes=2)) -> None:
    """The watch's day is the community's (windows 00:00-23:59 here). Seeded in the day's last minutes, a check-in
    falls after its window, or on another day than the page shows when it renders: start just after midnight."""
    local = datetime.now(tz)
    midnight = datetime.combine(local.date() + timedelta(days=1), dt_time(0), tz)
    if midnight - local <= margin:
        time.sleep((midnight - local).total_seconds() + 2)


def test_watch_coverage_and_hours_in_both_languages(hub, browser, errors):
    start_clear_of_midnight(hub.app.state.calendar.tz)  # CI found it: seeded at 23:59 Beijing time, shown "pending"
    setup_org(hub.store)
    ids = seed(hub.store)
    hub.app.state.jobs.handle("welfare").run_once()  # the 异常 opens its case at once
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = sign_in(browser, hub, errors)
    goto(page, hub, "#/welfare", "welfare")
    today = page.get_by_test_id("wf-today")
    row = lambda key: today.locator(f"tr[data-enrolment='{ids[key]}']")
    expect(row("a")).to_have_attribute("data-status", "checked_in")
    expect(row("a").get_by_test_id("wf-evidence")).to_contain_text("终端签到")
    expect(row("b")).to_have_attribute("data-status", "checked_in")
    expect(row("b").get_by_test_id("wf-evidence")).to_contain_text("帮扶人探视 (窗帘、用水)")
    expect(row("c")).to_have_attribute("data-status", "abnormal")
    expect(row("c")).to_contain_text("异常")
    expect(row("d")).to_have_attribute("data-status", "pending")
    cover = page.get_by_test_id("wf-coverage")
    expect(cover.locator(f"tr[data-grid='{GRID1}']")).to_contain_text("67%")
    expect(page.get_by_test_id("wf-missed")).to_contain_text("电动车棚")
    hours = page.get_by_test_id("wf-hours").locator("tr[data-person='p-patrol-01']")
    expect(hours.get_by_test_id("wf-balance")).to_contain_text("3 小时")  # 1 h logged on patrol + 2 h certified
    page.screenshot(path=str(ARTIFACTS / "welfare-1920.png"), full_page=True)

    row("c").get_by_test_id("wf-fa").click()
    row("c").get_by_test_id("wf-fa-reason").fill("在女儿家小住")
    row("c").get_by_test_id("wf-fa-save").click()
    expect(row("c")).to_contain_text("已记录误报：在女儿家小住")

    small = sign_in(browser, hub, errors, size=(1366, 768))
    goto(small, hub, "#/welfare", "welfare")
    expect(small.get_by_test_id("wf-coverage")).to_contain_text("67%")
    small.screenshot(path=str(ARTIFACTS / "welfare-1366.png"), full_page=True)

    english = sign_in(browser, hub, errors, lang="en")
    goto(english, hub, "#/welfare", "welfare")
    expect(english.get_by_test_id("wf-today")).to_contain_text("Kiosk tap")
    chinese = [(text, where) for text, where in english.evaluate(OWN_TEXTS) if CJK.search(text)]
    assert not chinese, f"Chinese in the English welfare page: {chinese[:8]}"
    english.screenshot(path=str(ARTIFACTS / "welfare-en-1920.png"), full_page=True)

    # the same coverage on the map: the grid with 2 of its 3 checkpoints visited, amber, labelled 2/3
    for view, lang, text in ((page, "zh", "2/3 个巡查点 · 67%"), (english, "en", "2/3 checkpoints · 67%")):
        goto(view, hub, "#/map", "map")
        coverage = view.get_by_test_id("coverage")
        coverage.get_by_test_id("coverage-toggle").check()
        expect(coverage).to_have_attribute("data-grids", "1")
        expect(coverage.locator(f"li[data-grid='{GRID1}']")).to_contain_text(text)
        expect(view.locator(".leaflet-coverage-pane path")).to_have_count(1)
        view.screenshot(path=str(ARTIFACTS / f"coverage-map-{lang}.png"))
