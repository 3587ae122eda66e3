"""The admin pages of issue 20 in real headless Chromium against a whole hub (Mosquitto, SQLite): people and roles,
categories, the working calendar, accounts and Open311 keys, dead letters and the access log.

A community's admin adds a building head in a building of the community, edits and takes someone off duty; the
admin of another community does not see those people on the page and the hub answers 404 to their id. The top
unit's admin changes a category's time limit, makes a day a local holiday, creates an account (its password shown
once) and issues and revokes an Open311 key, replays a dead letter (stored through the normal ingest path: the
record is there after) and exports the access log as xlsx (opened with openpyxl). The English pages show no
Chinese label of their own. Screenshots: test-artifacts/dashboard/admin-<page>-{1920,1366}.png (and -en-1920)."""
from __future__ import annotations

import io

import httpx
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from hub.auth.operators import OperatorDirectory
from hub.cases import CaseService
from hub.mqtt.ingest import RawMessage, ingest_batch
from hub.mqtt.replay import replays_of
from hub.org.repo import DeviceBinding, Unit, save_device_bindings, save_units
from hub.org.taxonomy import get_category
from hub.store import DeadLetter
from protocol import CaseAction, encode, uplink_topic_for, uuid7
from tests.e2e.dashboard_pages import goto
from tests.hub.conftest import Device as Messages

from .conftest import wait_until
from .test_casework_pages import CJK, OWN_TEXTS, browser, errors, sign_in  # noqa: F401 - fixtures
from .test_dashboard import ARTIFACTS, FUSHI, OTHER, PASSWORD, setup_org

CITY = "440400"
GRID1 = FUSHI + "001"
BUILDING = GRID1 + "003"
PAGES = [("people", "#/people"), ("categories", "#/categories"), ("calendar", "#/calendar/2026"),
         ("operators", "#/operators"), ("deadletters", "#/deadletters/1"), ("accesslog", "#/accesslog")]


def setup_admin(store) -> None:
    setup_org(store)
    with store.write() as conn:
        save_units(conn, [Unit(BUILDING, "building", "福石花园3栋", GRID1)], store.clock())
    ops = OperatorDirectory(store, clock=store.clock)
    ops.create("admin", PASSWORD, role="admin", scope_code=CITY, display_name="市管理员")
    ops.create("fsadmin", PASSWORD, role="admin", scope_code=FUSHI, display_name="福石管理员")
    ops.create("wzadmin", PASSWORD, role="admin", scope_code=OTHER, display_name="湾仔管理员")
    report = Messages("kiosk-fs-01").report("路灯不亮")
    store.store_dead_letter(DeadLetter(uplink_topic_for(report), encode(report), store.clock(), "store_error",
                                       "OperationalError: database is locked", "kiosk-fs-01"))
    store.store_dead_letter(DeadLetter(uplink_topic_for(report), b'{"v":1,"id":', store.clock(), "not_json",
                                       "Expecting value", "kiosk-fs-01"))


def status(page: Page, method: str, path: str, body: dict | None = None) -> int:
    return page.evaluate("""async ([method, path, body]) => (await fetch(path, {method, credentials: "same-origin",
        headers: {"Content-Type": "application/json"},
        body: body === null ? undefined : JSON.stringify(body)})).status""", [method, path, body])


def row(page: Page, attr: str, value: str):
    return page.locator(f"tr[data-{attr}='{value}']")


def shoot(page: Page, name: str, width: int = 1920) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(300)
    page.screenshot(path=ARTIFACTS / f"admin-{name}-{width}.png")


def test_people_page_add_edit_off_duty_and_another_community_sees_none(hub, browser, errors):
    setup_admin(hub.store)
    page = sign_in(browser, hub, errors, username="fsadmin")
    goto(page, hub, "#/people", "people")
    people = page.get_by_test_id("people")
    expect(row(page, "person", "p-lead-01")).to_be_visible()
    expect(people).not_to_contain_text("湾仔调度员")

    page.get_by_test_id("person-name").fill("楼长李")
    page.get_by_test_id("person-role").select_option("building_head")
    page.get_by_test_id("person-unit").select_option(BUILDING)
    page.get_by_test_id("person-phone").select_option("phone-fs-lead-01")
    page.get_by_test_id("person-submit").click()
    added = people.locator("tr", has_text="楼长李")
    expect(added).to_contain_text("楼长")
    expect(added).to_contain_text("福石花园3栋")
    person_id = added.get_attribute("data-person")

    added.get_by_test_id("person-edit-open").click()
    dialog = page.get_by_test_id("person-dialog")
    dialog.get_by_test_id("person-role").select_option("committee_member")
    dialog.get_by_test_id("person-phone").select_option("")
    dialog.get_by_test_id("person-submit").click()
    expect(dialog).to_have_count(0)
    expect(row(page, "person", person_id)).to_contain_text("居委会委员")

    row(page, "person", "p-worker-01").get_by_test_id("person-deactivate").click()
    page.get_by_test_id("deactivate-reason").fill("调离")
    page.get_by_test_id("confirm-ok").click()
    expect(row(page, "person", "p-worker-01")).to_have_class("inactive")
    page.get_by_test_id("filter-active").select_option("false")
    expect(people.locator("tbody tr")).to_have_count(1)
    page.get_by_test_id("filter-active").select_option("")
    expect(row(page, "person", "p-lead-01")).to_be_visible()
    shoot(page, "people")
    page.set_viewport_size({"width": 1366, "height": 768})
    shoot(page, "people", 1366)

    # what applies to the whole deployment is read-only for a community's admin; accounts: their own subtree only
    goto(page, hub, "#/categories", "categories")
    expect(page.get_by_test_id("cat-limit").first).to_be_disabled()
    expect(page.get_by_test_id("cat-save").first).to_be_hidden()
    goto(page, hub, "#/operators", "operators")
    expect(page.get_by_test_id("keys-top-only")).to_be_visible()
    expect(row(page, "operator", "fushi")).to_be_visible()
    expect(row(page, "operator", "wzadmin")).to_have_count(0)

    # the other community's admin: none of 福石's people on the page, and their ids answer 404
    other = sign_in(browser, hub, errors, username="wzadmin")
    goto(other, hub, "#/people", "people")
    expect(row(other, "person", "p-disp-wz")).to_be_visible()
    theirs = other.get_by_test_id("people")
    for name in ("楼长李", "网格长陈", "福石调度员"):
        expect(theirs).not_to_contain_text(name)
    options = other.get_by_test_id("person-unit").locator("option").all_inner_texts()
    assert not any("福石" in o for o in options), options
    assert status(other, "GET", f"/api/people/{person_id}") == 404
    assert status(other, "PATCH", "/api/people/p-lead-01", {"name": "x"}) == 404
    assert status(other, "POST", "/api/people", {"name": "x", "role": "helper", "unit_code": GRID1}) == 403


def test_top_admin_pages_categories_calendar_accounts_keys_dead_letters_and_log(hub, browser, errors):
    setup_admin(hub.store)
    page = sign_in(browser, hub, errors, username="admin")

    # categories: a new time limit for one category, saved from its row
    goto(page, hub, "#/categories", "categories")
    first = page.get_by_test_id("categories").locator("tbody tr").first
    code = first.get_attribute("data-code")
    first.get_by_test_id("cat-limit").fill("5")
    first.get_by_test_id("cat-unit").select_option("working_days")
    first.get_by_test_id("cat-save").click()
    expect(page.get_by_test_id("toast").filter(has_text="已保存")).to_be_visible()
    saved = get_category(hub.store, code)
    assert (saved.time_limit_value, saved.time_limit_unit) == (5, "working_days")
    expect(row(page, "code", code).get_by_test_id("cat-save")).to_be_disabled()
    street_light = row(page, "code", "C0110")  # 3 working days: yellow at 1.5, red at 2.4 (the 0.5 / 0.8 policy)
    expect(street_light.get_by_test_id("cat-levels")).to_contain_text("1.5 / 2.4 / 3")
    shoot(page, "categories")

    # the working calendar: 2027-03-01 made a local day off
    goto(page, hub, "#/calendar/2027", "calendar")
    expect(page.get_by_test_id("cal-year")).to_have_text("2027")
    page.locator("button[data-day='2027-03-01']").click()
    page.get_by_test_id("day-kind").select_option("holiday")
    page.get_by_test_id("day-note").fill("本地放假")
    page.get_by_test_id("day-save").click()
    expect(page.locator("button[data-day='2027-03-01']")).to_have_class("holiday local")
    expect(page.get_by_test_id("cal-holidays")).to_contain_text("本地放假")
    goto(page, hub, "#/calendar/2026", "calendar")  # a year the official calendar covers: 春节, 国庆 ...
    expect(page.locator("button[data-day='2026-10-01']")).to_have_class("holiday")
    shoot(page, "calendar")

    # accounts: one created with a generated password shown once; an Open311 key issued (shown once) and revoked
    goto(page, hub, "#/operators", "operators")
    page.get_by_test_id("op-username").fill("zhou")
    page.get_by_test_id("op-display").fill("周调度")
    page.get_by_test_id("op-role").select_option("dispatcher")
    page.get_by_test_id("op-scope").select_option(FUSHI)
    page.get_by_test_id("op-submit").click()
    password = page.get_by_test_id("secret").inner_text()
    assert len(password) >= 12
    page.get_by_test_id("confirm-ok").click()
    expect(row(page, "operator", "zhou")).to_contain_text("调度员")
    assert httpx.post(f"{hub.base_url}/api/auth/login",  # not page.request: its cookie would become zhou's
                      json={"username": "zhou", "password": password}).status_code == 200
    page.get_by_test_id("key-name").fill("12345 热线")
    page.get_by_test_id("key-submit").click()
    assert page.get_by_test_id("secret").inner_text()
    shoot(page, "operators-key-once")
    page.get_by_test_id("confirm-ok").click()
    key_row = page.get_by_test_id("keys").locator("tbody tr").first
    expect(key_row).to_contain_text("有效")
    shoot(page, "operators")
    key_row.get_by_test_id("key-revoke").click()
    page.get_by_test_id("confirm-ok").click()
    expect(page.get_by_test_id("keys").locator("tbody tr").first).to_contain_text("已吊销")

    # dead letters: the stored-late report replayed through ingest; the junk one refused again
    goto(page, hub, "#/deadletters", "deadletters")
    assert hub.store.count_records(device_id="kiosk-fs-01") == 0
    page.get_by_test_id("deadletters").locator("tr", has_text="store_error").click()
    expect(page.get_by_test_id("dl-payload")).to_contain_text("路灯不亮")
    expect(page.get_by_test_id("dl-detail")).not_to_contain_text("null")
    page.get_by_test_id("dl-replay").click()
    expect(page.get_by_test_id("dl-result")).to_have_attribute("data-outcome", "stored")
    assert hub.store.count_records(device_id="kiosk-fs-01") == 1
    shoot(page, "deadletters")
    page.get_by_test_id("deadletters").locator("tr", has_text="not_json").first.click()
    expect(page.get_by_test_id("dl-detail")).to_contain_text("not_json")  # its detail is open (loaded async)
    page.get_by_test_id("dl-replay").click()
    expect(page.get_by_test_id("dl-result")).to_have_attribute("data-outcome", "dead")

    # the access log: filtered to the replays, exported as xlsx
    goto(page, hub, "#/accesslog", "accesslog")
    page.get_by_test_id("log-route").fill("/api/dead-letters/{letter_id}/replay")
    page.get_by_test_id("log-apply").click()
    expect(page.get_by_test_id("accesslog").locator("tbody tr")).to_have_count(2)
    with page.expect_download() as download:
        page.get_by_test_id("log-xlsx").click()
    sheet = load_workbook(io.BytesIO(open(download.value.path(), "rb").read())).active
    assert sheet.freeze_panes == "A2" and sheet.max_row == 3
    assert {r[6] for r in sheet.iter_rows(min_row=2, values_only=True)} == {"/api/dead-letters/{letter_id}/replay"}
    shoot(page, "accesslog")

    # 1366 x 768, and the English pages: no Chinese label of their own
    page.set_viewport_size({"width": 1366, "height": 768})
    for name, hash_ in PAGES[1:]:
        goto(page, hub, hash_, name)
        shoot(page, name, 1366)
    english = sign_in(browser, hub, errors, username="admin", lang="en")
    for name, hash_ in PAGES:
        goto(english, hub, hash_, name)
        english.wait_for_timeout(300)
        chinese = [(text, where) for text, where in english.evaluate(OWN_TEXTS) if CJK.search(text)]
        assert not chinese, f"{name}: Chinese in the English page: {chinese[:8]}"
    for name, hash_ in (("people", "#/people"), ("calendar", "#/calendar/2026")):
        goto(english, hub, hash_, name)
        english.screenshot(path=ARTIFACTS / f"admin-{name}-en-1920.png")


def test_a_dead_phone_action_applies_once_the_people_page_gives_the_phone_its_owner(hub, browser, errors):
    """The loop of 'replay after a fix': a phone nobody carries yet sends 接单 for a case; the action job cannot say who
    acts and dead-letters it (action_no_owner). The community's admin gives the phone to the grid leader on the
    people page, replays the letter, and the case is accepted as the grid leader from that phone."""
    setup_admin(hub.store)
    with hub.store.write() as conn:
        save_device_bindings(conn, [DeviceBinding("phone-fs-spare", "phone", GRID1)])  # registered, nobody's yet
    case = CaseService(hub.store).open_case("admin-e2e-1", "C0110", grid_code=GRID1, community_code=FUSHI,
                                            title="路灯不亮", dispatch_to=["p-lead-01"]).case
    now = hub.store.clock()
    accept = CaseAction(id=uuid7(), device_id="phone-fs-spare", seq=1, created_at=now, case_id=case.id, action="accept")
    assert ingest_batch([RawMessage(uplink_topic_for(accept), encode(accept), now)], hub.store).stored_records == 1
    letter = wait_until(lambda: next(iter(hub.store.list_dead_letters(reason="action_no_owner")), None), 30,
                        message="the action job dead-letters the ownerless action")

    page = sign_in(browser, hub, errors, username="fsadmin")
    goto(page, hub, f"#/deadletters/{letter.id}", "deadletters")
    expect(page.get_by_test_id("dl-detail")).to_contain_text("action_no_owner")
    page.get_by_test_id("dl-replay").click()  # not fixed yet: refused again
    expect(page.get_by_test_id("dl-result")).to_have_attribute("data-outcome", "dead")

    goto(page, hub, "#/people", "people")  # the fix: the spare phone is the grid leader's now
    row(page, "person", "p-lead-01").get_by_test_id("person-edit-open").click()
    dialog = page.get_by_test_id("person-dialog")
    dialog.get_by_test_id("person-phone").select_option("phone-fs-spare")
    dialog.get_by_test_id("person-submit").click()
    expect(row(page, "person", "p-lead-01")).to_contain_text("phone-fs-spare")

    goto(page, hub, f"#/deadletters/{letter.id}", "deadletters")
    page.get_by_test_id("dl-replay").click()
    expect(page.get_by_test_id("dl-result")).to_have_attribute("data-outcome", "applied")
    expect(page.get_by_test_id("dl-history")).to_contain_text("已执行")
    shoot(page, "deadletters-applied")
    answer = page.request.get(f"{hub.base_url}/api/cases/{case.id}")
    assert answer.ok and answer.json()["state"] == "accepted", answer.text()


def post_json(page: Page, path: str, body: dict) -> dict:
    """What the hub answers the signed-in browser itself (its cookie, its Origin), as JSON."""
    return page.evaluate("""async ([path, body]) => (await fetch(path, {method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)})).json()""", [path, body])


def test_dead_letters_replayed_in_bulk_picked_and_all_matching_with_a_summary(hub, browser, errors):
    """After an outage: a community's admin ticks two letters and replays them, then replays every letter of one
    kiosk matching the filter (the confirmation shows the count; one is junk and is refused again, with its reason in
    the summary); the other community's letter is never counted, and named by id it is skipped as not found. The
    English page does the same with the header box (select all on the page). Screenshots: admin-deadletters-bulk-
    {confirm-,}1920.png and admin-deadletters-bulk-{confirm-,}en-1920.png."""
    setup_admin(hub.store)  # kiosk-fs-01: a late report (store_error) and a junk message (not_json)
    kiosk = Messages("kiosk-fs-02")
    for i in range(5):
        report = kiosk.report(f"停电后补传 {i}")
        hub.store.store_dead_letter(DeadLetter(uplink_topic_for(report), encode(report), hub.store.clock(),
                                               "store_error", "OperationalError: database is locked", "kiosk-fs-02"))
    hub.store.store_dead_letter(DeadLetter(uplink_topic_for(report), b'{"v":1,', hub.store.clock(), "not_json",
                                           "Expecting value", "kiosk-fs-02"))
    theirs = Messages("tablet-wz-01").report("湾仔的")
    hub.store.store_dead_letter(DeadLetter(uplink_topic_for(theirs), encode(theirs), hub.store.clock(), "store_error",
                                           "OperationalError: database is locked", "tablet-wz-01"))
    theirs_id = hub.store.list_dead_letters(limit=1)[0].id

    page = sign_in(browser, hub, errors, username="fsadmin")
    goto(page, hub, "#/deadletters", "deadletters")
    table = page.get_by_test_id("deadletters")
    expect(table.locator("tbody tr")).to_have_count(8)  # not the other community's
    page.get_by_test_id("dl-reason").fill("store_error")
    page.locator("form.filters button[type=submit]").click()
    expect(table.locator("tbody tr")).to_have_count(6)
    first_two = table.locator("tbody tr").filter(has_text="kiosk-fs-02").first, table.locator("tbody tr").last
    for tr in first_two:
        tr.get_by_test_id("dl-pick").check()
    expect(page.get_by_test_id("dl-picked")).to_have_text("已选 2 条")
    expect(page.get_by_test_id("dl-detail")).to_contain_text("点击左侧")  # ticking did not open a letter
    page.get_by_test_id("dl-replay-picked").click()
    expect(page.get_by_test_id("confirm")).to_contain_text("重放所选的 2 条异常消息？")
    page.get_by_test_id("confirm-ok").click()
    expect(page.get_by_test_id("dl-bulk-replayed")).to_have_attribute("data-n", "2")
    expect(page.get_by_test_id("dl-bulk-result")).not_to_contain_text("null")
    assert [hub.store.count_records(device_id=d) for d in ("kiosk-fs-01", "kiosk-fs-02")] == [1, 1]

    # Everything of kiosk-fs-02 matching the filter: 4 late reports and the junk one (the replayed one left out).
    page.get_by_test_id("dl-reason").fill("")
    page.get_by_test_id("dl-device").fill("kiosk-fs-02")
    page.locator("form.filters button[type=submit]").click()
    expect(table.locator("tbody tr")).to_have_count(6)
    page.get_by_test_id("dl-replay-all").click()
    expect(page.get_by_test_id("dl-bulk-confirm")).to_have_attribute("data-count", "5")
    expect(page.get_by_test_id("confirm")).to_contain_text("重放符合筛选的 5 条异常消息？")
    expect(page.get_by_test_id("confirm")).to_contain_text("kiosk-fs-02")
    shoot(page, "deadletters-bulk-confirm")
    page.get_by_test_id("confirm-ok").click()
    result = page.get_by_test_id("dl-bulk-result")
    expect(page.get_by_test_id("dl-bulk-replayed")).to_have_attribute("data-n", "4")
    expect(page.get_by_test_id("dl-bulk-refused")).to_have_attribute("data-n", "1")
    expect(page.get_by_test_id("dl-bulk-skipped")).to_have_attribute("data-n", "0")
    expect(page.get_by_test_id("dl-bulk-reasons")).to_contain_text("not_json × 1")
    expect(result).to_contain_text("新异常消息 #")
    expect(table.locator("tbody tr")).to_have_count(7)  # nothing lost: the junk one kept, and its new letter beside it
    assert hub.store.count_records(device_id="kiosk-fs-02") == 5
    shoot(page, "deadletters-bulk")

    # Named by id, the other community's letter is skipped as not found, untouched.
    out = post_json(page, "/api/dead-letters/replay", {"ids": [theirs_id]})
    assert (out["skipped"], out["reasons"]) == (1, {"not_found": 1})
    assert hub.store.count_records(device_id="tablet-wz-01") == 0
    assert replays_of(hub.store, [theirs_id])[theirs_id] == []

    # In English, with the header box: every row shown on the page (kiosk-fs-01's two letters).
    english = sign_in(browser, hub, errors, username="fsadmin", lang="en")
    goto(english, hub, "#/deadletters", "deadletters")
    english.get_by_test_id("dl-device").fill("kiosk-fs-01")
    english.locator("form.filters button[type=submit]").click()
    expect(english.get_by_test_id("deadletters").locator("tbody tr")).to_have_count(2)
    english.get_by_test_id("dl-pick-all").check()
    expect(english.get_by_test_id("dl-picked")).to_have_text("2 selected")
    english.get_by_test_id("dl-replay-picked").click()
    expect(english.get_by_test_id("confirm")).to_contain_text("Replay the 2 selected dead letters?")
    english.wait_for_timeout(300)
    english.screenshot(path=ARTIFACTS / "admin-deadletters-bulk-confirm-en-1920.png")
    english.get_by_test_id("confirm-ok").click()
    expect(english.get_by_test_id("dl-bulk-replayed")).to_have_text("1 replayed")  # already stored: a duplicate
    expect(english.get_by_test_id("dl-bulk-refused")).to_have_text("1 refused again")
    expect(english.get_by_test_id("dl-bulk-reasons")).to_contain_text("not_json × 1")
    english.get_by_test_id("dl-replay-all").click()  # only the new letter of the junk one is left never replayed
    expect(english.get_by_test_id("dl-bulk-confirm")).to_have_attribute("data-count", "1")
    chinese = [(text, where) for text, where in english.evaluate(OWN_TEXTS) if CJK.search(text)]
    english.get_by_test_id("confirm-cancel").click()
    assert not chinese, f"Chinese in the English page: {chinese[:8]}"
    english.wait_for_timeout(300)
    english.screenshot(path=ARTIFACTS / "admin-deadletters-bulk-en-1920.png")
