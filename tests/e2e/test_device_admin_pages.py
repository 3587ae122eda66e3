"""The devices page's admin part in real headless Chromium, against a whole hub on a Mosquitto that enforces the
hub's device accounts (test_device_identity's ``secure`` fixture: TLS, password and ACL files synced by the hub).

An admin adds a kiosk on the page; the QR shown on the page decodes (OpenCV) to the enrolment text; a device
enrols with that text and syncs a record over the broker; the label prints alone on one A6 sheet; revoking from
the page cuts the device off (its link reports the broker's refusal) and shows it revoked at once on the list and
the live map's dots, still so after its last will; a new code brings it back and a spoofing
flag is cleared from the page. A dispatcher sees the list without any admin
control and the API refuses them (403); the admin of another community sees nothing and gets 404. The English
page shows no Chinese label of its own. Screenshots: test-artifacts/dashboard/devices-admin-{1920,1366}.png,
devices-admin-revoked-1920.png, devices-admin-en-1920.png and device-label-print.png (the print view)."""
from __future__ import annotations

import base64
import re

import cv2
import numpy as np
from playwright.sync_api import Page, expect

from hub.auth.operators import OperatorDirectory
from hub.devices import DeviceRegistry
from hub.org.repo import Unit, save_units
from terminal.camera.qr import read_qr
from terminal.device import Device
from terminal.enroll import enroll, parse_enrolment
from tests.e2e.dashboard_pages import goto, wait_ready

from .conftest import wait_until
from .test_casework_pages import CJK, OWN_TEXTS, browser, errors, sign_in  # noqa: F401 - fixtures
from .test_dashboard import ARTIFACTS, PASSWORD
from .test_device_identity import secure  # noqa: F401 - fixture

COMMUNITY, OTHER = "440402004005", "440402004006"
GRID2_NAME = "福石二网格（前山河畔）"
A6_POINTS = (105 / 25.4 * 72, 148 / 25.4 * 72)


def add_accounts(store) -> None:
    with store.write() as conn:
        save_units(conn, [Unit(OTHER, "community", "湾仔社区", "440402004"),
                          Unit(OTHER + "001", "grid", "湾仔一网格", OTHER)], store.clock())
    ops = OperatorDirectory(store, clock=store.clock)
    ops.create("clerk", PASSWORD, role="dispatcher", scope_code=COMMUNITY, display_name="福石调度")
    ops.create("wzadmin", PASSWORD, role="admin", scope_code=OTHER, display_name="湾仔管理员")


def status(page: Page, method: str, path: str, body: dict | None = None) -> int:
    """What the hub answers the signed-in browser itself (its cookie, its Origin)."""
    return page.evaluate("""async ([method, path, body]) => (await fetch(path, {method, credentials: "same-origin",
        headers: {"Content-Type": "application/json"},
        body: body === null ? undefined : JSON.stringify(body)})).status""", [method, path, body])


def decode_qr(png: bytes) -> str:
    return read_qr(cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)) or ""  # as a terminal reads it


def row(page: Page, device_id: str):
    return page.locator(f"table.devices tr[data-device='{device_id}']")


def test_admin_adds_prints_and_revokes_a_device_others_cannot(secure, browser, errors, tmp_path):
    hub = secure.hub
    add_accounts(hub.store)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = sign_in(browser, hub, errors, username="admin")
    goto(page, hub, "#/devices", "devices")
    page.get_by_test_id("add-device-id").fill("kiosk-fs-09")
    page.get_by_test_id("add-kind").select_option("kiosk")
    page.get_by_test_id("add-unit").select_option(label=GRID2_NAME)
    page.get_by_test_id("add-submit").click()
    label = page.get_by_test_id("device-label")
    expect(label).to_be_visible()
    expect(label).to_contain_text(GRID2_NAME)
    code = page.get_by_test_id("label-code").inner_text()
    assert re.fullmatch(r"[A-Z0-9]{4}(-[A-Z0-9]{4})+", code), code

    # The QR as the page shows it: its image data, and a screenshot of the element, decode to the enrolment text.
    qr = page.get_by_test_id("label-qr")
    src = qr.get_attribute("src")
    assert src.startswith("data:image/png;base64,")
    text = decode_qr(base64.b64decode(src.split(",", 1)[1]))
    assert decode_qr(qr.screenshot()) == text
    assert text.startswith("gridline://enroll?") and f"code={code}" in text
    code_in_qr, hub_in_qr = parse_enrolment(text)
    assert (code_in_qr, hub_in_qr) == (code, hub.base_url)
    expect(row(page, "kiosk-fs-09").get_by_test_id("identity")).to_have_attribute("data-state", "pending")

    # The label prints alone on one A6 sheet.
    page.evaluate("window.print = () => { window.__printedLabel = document.body.classList.contains('print-label'); }")
    page.get_by_test_id("print-label").click()
    assert page.evaluate("window.__printedLabel") is True
    page.evaluate("document.body.classList.add('print-label')")
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 397, "height": 560})  # 105 x 148 mm at 96 dpi
    page.screenshot(path=str(ARTIFACTS / "device-label-print.png"))
    page.emulate_media(media="no-override")
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.evaluate("document.body.classList.add('print-label')")  # as the print button leaves it
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)  # afterprint: the page drops its print class
    boxes = [tuple(float(v) for v in m.groups()) for m in
             re.finditer(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)]
    print(f"label print: {len(boxes)} page(s), {boxes[0][0]:.1f} x {boxes[0][1]:.1f} pt (A6 = "
          f"{A6_POINTS[0]:.1f} x {A6_POINTS[1]:.1f})")
    assert len(boxes) == 1 and all(abs(a - b) < 2 for a, b in zip(boxes[0], A6_POINTS, strict=True)), boxes
    assert not page.evaluate("document.body.classList.contains('print-label')")

    # A device enrols with the QR text and syncs over the hub's broker with its own account.
    device_dir = tmp_path / "kiosk-fs-09"
    enroll(hub_in_qr, code_in_qr, device_dir)
    device = Device("kiosk-fs-09", device_dir, "", ack_timeout=5, heartbeat_interval=3600)
    with device:
        device.report("road", 22.27, 113.53, note="井盖缺失")
        assert device.wait_drained(20) and device.wait_connected(5)
        assert hub.store.count_records(device_id="kiosk-fs-09") == 1
        expect(row(page, "kiosk-fs-09").get_by_test_id("identity")).to_have_attribute("data-state", "active",
                                                                                      timeout=15000)
        expect(row(page, "kiosk-fs-09").get_by_test_id("presence")).to_have_attribute("data-state", "online")
        page.screenshot(path=str(ARTIFACTS / "devices-admin-1920.png"), full_page=True)
        # The live map beside it, as a control room keeps it open: the kiosk's dot is among the online ones.
        wall = sign_in(browser, hub, errors, username="admin")  # signed in, on the map
        dots = wall.locator("canvas.device-layer")
        wait_until(lambda: int(dots.get_attribute("data-online") or 0) >= 1, 20, message="the kiosk's dot online")
        online_before = int(dots.get_attribute("data-online"))

        # Revoke from the page, with a reason: the broker drops the device and refuses it after.
        row(page, "kiosk-fs-09").get_by_test_id("revoke").click()
        expect(page.get_by_test_id("confirm")).to_be_visible()
        page.get_by_test_id("revoke-reason").fill("终端被盗")
        page.get_by_test_id("confirm-ok").click()
        # Its presence says so at once, on the list and (through the live stream) on the map's dots.
        presence = row(page, "kiosk-fs-09").get_by_test_id("presence")
        expect(presence).to_have_attribute("data-state", "revoked")
        expect(presence).to_contain_text("已吊销")
        expect(wall.locator("canvas.device-layer")).to_have_attribute("data-online", str(online_before - 1))
        wait_until(lambda: not device.link.connected, 60, interval=0.05, message="cut off")
        wait_until(lambda: device.link.auth_error, 20, message="reconnect refused")
    identity = row(page, "kiosk-fs-09").get_by_test_id("identity")
    expect(identity).to_have_attribute("data-state", "revoked")
    expect(identity).to_contain_text("终端被盗")
    assert hub.store.count_records(device_id="kiosk-fs-09") == 1  # what it sent stays
    # Cut off, its last will ("offline") has come and gone: still revoked, on the page and in the hub.
    page.reload()
    wait_ready(page, "devices")
    expect(row(page, "kiosk-fs-09").get_by_test_id("presence")).to_have_attribute("data-state", "revoked")
    assert hub.store.get_device("kiosk-fs-09").state == "revoked"
    expect(page.get_by_test_id("device-summary")).to_contain_text("已吊销 1 台")
    page.screenshot(path=str(ARTIFACTS / "devices-admin-revoked-1920.png"), full_page=True)
    wall.close()

    # A new code brings it back (a new label, the old code dead); a spoofing flag is cleared from the page.
    row(page, "kiosk-fs-09").get_by_test_id("reissue").click()
    page.get_by_test_id("confirm-ok").click()
    expect(page.get_by_test_id("label-code")).not_to_have_text(code)
    expect(identity).to_have_attribute("data-state", "pending")
    expect(row(page, "kiosk-fs-09").get_by_test_id("presence")).to_have_attribute("data-state", "offline")
    DeviceRegistry(hub.store).flag("kiosk-fs-09", "device_mismatch", "payload named kiosk-fs-02")
    page.reload()
    wait_ready(page, "devices")
    expect(row(page, "kiosk-fs-09").get_by_test_id("flag")).to_contain_text("冒用其他设备")
    row(page, "kiosk-fs-09").get_by_test_id("clear-flag").click()
    page.get_by_test_id("confirm-ok").click()
    expect(row(page, "kiosk-fs-09").get_by_test_id("flag")).to_have_text("—")
    assert DeviceRegistry(hub.store).get("kiosk-fs-09").flag is None

    small = sign_in(browser, hub, errors, username="admin", size=(1366, 768))
    goto(small, hub, "#/devices", "devices")
    expect(row(small, "kiosk-fs-09")).to_be_visible()
    small.screenshot(path=str(ARTIFACTS / "devices-admin-1366.png"), full_page=True)
    # A terminal bound before identities existed: "register" fills the form with what the hub knows of it.
    row(small, "phone-fs-lead-01").get_by_test_id("register").click()
    expect(small.get_by_test_id("add-device-id")).to_have_value("phone-fs-lead-01")
    expect(small.get_by_test_id("add-kind")).to_have_value("phone")
    expect(small.get_by_test_id("add-unit")).to_have_value(COMMUNITY + "001")
    expect(small.get_by_test_id("add-owner")).to_have_value("p-lead-01")
    small.get_by_test_id("add-submit").click()
    expect(small.get_by_test_id("device-label")).to_have_attribute("data-device", "phone-fs-lead-01")
    expect(row(small, "phone-fs-lead-01").get_by_test_id("identity")).to_have_attribute("data-state", "pending")
    expect(small.get_by_test_id("device-label")).to_contain_text("网格长陈")  # whose phone

    english = sign_in(browser, hub, errors, username="admin", lang="en")
    goto(english, hub, "#/devices", "devices")
    expect(row(english, "kiosk-fs-09").get_by_test_id("identity")).to_contain_text("Code pending")
    row(english, "kiosk-fs-09").get_by_test_id("revoke").click()  # the dialog in English, then cancelled
    expect(english.get_by_test_id("confirm")).to_contain_text("Revoke device kiosk-fs-09?")
    dialog_texts = [(text, where) for text, where in english.evaluate(OWN_TEXTS) if CJK.search(text)]
    english.get_by_test_id("confirm-cancel").click()
    row(english, "kiosk-fs-09").get_by_test_id("reissue").click()  # and a label in English
    english.get_by_test_id("confirm-ok").click()
    expect(english.get_by_test_id("device-label")).to_contain_text("Device enrolment")
    assert dialog_texts == [], dialog_texts
    chinese = [(text, where) for text, where in english.evaluate(OWN_TEXTS) if CJK.search(text)]
    assert chinese == [], chinese
    english.screenshot(path=str(ARTIFACTS / "devices-admin-en-1920.png"), full_page=True)

    # A dispatcher: the list, no admin control; the API refuses them.
    clerk = sign_in(browser, hub, errors, username="clerk")
    goto(clerk, hub, "#/devices", "devices")
    expect(row(clerk, "kiosk-fs-09")).to_be_visible()
    assert clerk.get_by_test_id("device-admin").count() == 0
    assert clerk.locator("[data-testid=revoke], [data-testid=reissue], [data-testid=clear-flag]").count() == 0
    assert status(clerk, "GET", "/api/device-identities") == 403
    assert status(clerk, "POST", "/api/devices", {"device_id": "kiosk-fs-10", "kind": "kiosk",
                                                  "unit_code": COMMUNITY + "001"}) == 403
    assert status(clerk, "POST", "/api/devices/kiosk-fs-09/enrollment-code") == 403

    # Another community's admin: the device is not there for them at all.
    other = sign_in(browser, hub, errors, username="wzadmin")
    goto(other, hub, "#/devices", "devices")
    expect(other.get_by_test_id("device-admin")).to_be_visible()
    assert row(other, "kiosk-fs-09").count() == 0
    assert status(other, "GET", "/api/devices/kiosk-fs-09/identity") == 404
    assert status(other, "POST", "/api/devices/kiosk-fs-09/enrollment-code") == 404
    assert status(other, "POST", "/api/devices/kiosk-fs-09/revoke", {"reason": "x"}) == 404
    assert status(other, "DELETE", "/api/devices/kiosk-fs-09/flag") == 404
