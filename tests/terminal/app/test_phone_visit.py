"""入户走访 on the phone (issue 18): the presenter (no Kivy) makes ONE outboxed record per visit - offline, the device
never started - with the building from the unit tree, the household only as a keyed hash, who was met, the needs each
with its level, and a private note; and the screen rendered for real in Chinese and English (offscreen Kivy in a
subprocess; PNGs test-artifacts/screens/phone_visit.png and en/phone_visit.png). The kiosk's service check-in shows
the receipt code at once and the case reference once the hub answers its lookup."""
from __future__ import annotations

import json

import cv2
import pytest

from protocol import CheckinKind, HomeVisit, LookupAnswer, LookupCase, uuid7
from protocol.messages import DownlinkMessage
from terminal.app.presenters.common import FlowRefused
from terminal.residents import resident_key

from .test_phone_screens import phone_config, run_gridline
from .test_screens_render import ARTIFACTS

GRID1 = "440402004005001"


def outboxed(ctx) -> list[HomeVisit]:
    rows = ctx.device.store.db.execute("SELECT payload FROM records WHERE kind = 'visit'").fetchall()
    return [HomeVisit.model_validate_json(p) for (p,) in rows]


def test_a_visit_with_two_needs_is_one_offline_record(make_context):
    ctx = make_context("phone")
    flow = ctx.visit
    with pytest.raises(FlowRefused):
        flow.submit()  # the household first (unless nobody was home)
    assert flow.set_building("3") and flow.set_household("1-302")
    assert not flow.set_building("abc")
    flow.choose_met("family")
    flow.choose_level("community")
    flow.toggle_need("legal")
    flow.choose_level("grid")
    flow.toggle_need("repair")
    flow.toggle_need("welfare")
    flow.toggle_need("welfare")  # tapped twice: untagged
    flow.set_note("  老人独居，子女在深圳  ")
    view = flow.view()
    assert [n.text for n in view.needs] == ["法律 · 社区解决", "维修 · 网格解决"] and view.household_set
    record = flow.submit()
    assert (record.grid_code, record.building_code, record.met.value) == (GRID1, GRID1 + "003", "family")
    assert [(n.kind.value, n.level.value) for n in record.needs] == [("legal", "community"), ("repair", "grid")]
    assert record.household_key == resident_key(f"{GRID1}003/1-302", ctx.device.deployment_key)
    assert "1-302" not in record.model_dump_json() and record.private_note == "老人独居，子女在深圳"
    assert flow.message == "走访已记录（2 项需求），联网后自动上传" and flow.view().needs == []
    assert outboxed(ctx) == [record] and ctx.device.store.outbox_state(record.id) == "pending"
    flow.choose_met("nobody")
    assert flow.submit().household_key is None  # 未遇: recorded too, without a household


def test_the_kiosk_shows_the_reference_of_a_service_checkin(make_context):
    ctx = make_context("kiosk")
    receipt = ctx.service_receipt
    wellbeing = ctx.device.checkin(CheckinKind.WELLBEING, resident_key_hex="c" * 64)
    assert not receipt.show(wellbeing) and receipt.text() == ""
    checkin = ctx.device.checkin(CheckinKind.SERVICE_LEGAL, resident_key_hex="c" * 64)
    assert receipt.show(checkin)
    assert receipt.text() == f"已受理，回执码 {checkin.id[-6:]}；案件编号将在平台受理后显示"
    assert not receipt.poll()
    [ask] = [r for r in ctx.device.store.db.execute("SELECT payload FROM records WHERE kind = 'lookup'").fetchall()]
    request_id = json.loads(ask[0])["id"]
    answer = LookupAnswer(request_id=request_id, query=checkin.id[-6:], status="found", answered_at=ctx.clock(),
                          cases=[LookupCase(reference="FS-20261206-0007", receipt_code=checkin.id[-6:],
                                            state="dispatched", category="E0704", reported_at=ctx.clock())])
    ctx.device.store.store_downlink(DownlinkMessage(id=uuid7(), device_id=ctx.device.device_id,
                                                    kind="lookup", body=answer.model_dump(mode="json"),
                                                    created_at=ctx.clock()))
    assert receipt.poll() and receipt.text() == "已受理，案件编号 FS-20261206-0007，可凭此查进度"


DRIVER = r"""
import sys
from terminal.app.ui.boot import prepare_kivy, register_cjk_font
prepare_kivy("phone", offscreen=True)
register_cjk_font()
from kivy.clock import Clock
from terminal.app.config import load_config
from terminal.app.context import TerminalContext
from terminal.app.ui.app import GridlineApp

ctx = TerminalContext(load_config(sys.argv[1]), "phone")
app = GridlineApp(ctx, connect=False)

def start(_dt):
    flow = ctx.visit
    flow.set_building("3")
    flow.set_household("1-302")
    flow.choose_met("family")
    flow.choose_level("community")
    flow.toggle_need("legal")
    flow.choose_level("grid")
    flow.toggle_need("repair")
    flow.set_note("老人独居，子女在深圳，房屋漏水" if ctx.config.language == "zh" else "Lives alone; roof leaks")
    app.go("visit")
    app.screen("visit").refresh()
    Clock.schedule_once(shoot, 0.6)

def shoot(_dt):
    from kivy.core.window import Window
    import shutil, tempfile
    shutil.move(Window.screenshot(name=tempfile.mkdtemp() + "/shot.png"), sys.argv[2])
    app.stop()

Clock.schedule_once(start, 0.5)
app.run()
"""


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_visit_screen_renders(tmp_path, language):
    config, _ = phone_config(tmp_path, f"phone-visit-{language}", language)
    out = ARTIFACTS if language == "zh" else ARTIFACTS / language
    out.mkdir(parents=True, exist_ok=True)
    target = out / "phone_visit.png"
    done = run_gridline(["-c", DRIVER, str(config), str(target)], tmp_path, timeout=90)
    assert done.returncode == 0, done.stderr[-3000:]
    image = cv2.imread(str(target))
    assert image is not None and (image.shape[1], image.shape[0]) == (540, 960)
    b, g, r = (image[..., i].astype(int) for i in range(3))
    assert ((r > 220) & (g > 120) & (g < 170) & (b < 60)).sum() > 2000, "no tagged (orange) choice on screen"
