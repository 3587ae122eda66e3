"""巡查点 on the patrol tablet (presenter, no Kivy; the device never started, so everything stays in the outbox):
the hub's checkpoint list in route order, a QR read through the camera (OpenCV) with the GPS fix inside or outside
the radius, the checklist - a failed item needs its photo and files a report under the item's category - and the
visit record naming those reports; the volunteer's hour balance from the hub's downlink."""
from __future__ import annotations

from datetime import UTC, datetime

import cv2
import pytest

from protocol import (
    ChecklistItem,
    CheckpointInfo,
    CheckpointList,
    DownlinkMessage,
    HoursBalance,
    IncidentReport,
    checkpoint_qr_text,
    uuid7,
)
from terminal.app.presenters.common import FlowRefused
from terminal.camera.qr import qr_image

from .conftest import KIOSK_SPOT, file_camera, scene

ITEMS = [ChecklistItem(code="fire_lane_clear", text="消防通道畅通", text_en="Fire lane clear", category="E0504"),
         ChecklistItem(code="no_ebike_charging", text="电动车不在楼道充电", text_en="No e-bike charging indoors",
                       category="E0505")]
HERE = CheckpointInfo(id="cp-gate", name="3栋东门", lat=KIOSK_SPOT[0], lon=KIOSK_SPOT[1] + 0.0001, radius_m=30,
                      checklist=ITEMS)  # ~10 m from the tablet's fixed position
FAR = CheckpointInfo(id="cp-shed", name="电动车棚", lat=KIOSK_SPOT[0] + 0.003, lon=KIOSK_SPOT[1], radius_m=20,
                     checklist=ITEMS[:1])  # ~330 m away


def downlink(ctx, kind: str, body) -> None:
    now = ctx.clock()
    ctx.device.store.store_downlink(DownlinkMessage(id=uuid7(int(now.timestamp() * 1000)),
                                                    device_id=ctx.device.device_id, kind=kind,
                                                    body=body.model_dump(mode="json"), created_at=now))


@pytest.fixture
def tablet(make_context, tmp_path):
    qr = tmp_path / "qr.png"
    cv2.imwrite(str(qr), qr_image(checkpoint_qr_text(HERE.id)))
    street = tmp_path / "street.png"
    cv2.imwrite(str(street), scene())
    ctx = make_context("tablet", camera=file_camera(qr, street))
    downlink(ctx, "checkpoints", CheckpointList(grid_code="440402004005001", checkpoints=[FAR, HERE],
                                                route=["cp-gate", "cp-shed"]))
    ctx.patrol.start()  # checkpoints are scanned on patrol: the patrol's fix, and its start names the session
    return ctx


def reports(ctx) -> list[IncidentReport]:
    rows = ctx.device.store.db.execute("SELECT payload FROM records WHERE kind = 'report'").fetchall()
    return [IncidentReport.model_validate_json(p) for (p,) in rows]


def test_scan_checklist_and_a_failed_item_reported_with_its_photo(tablet):
    flow = tablet.checkpoints
    assert [(c.id, seen) for c, seen in flow.route()] == [("cp-gate", False), ("cp-shed", False)]
    with pytest.raises(FlowRefused):
        flow.answer("fire_lane_clear", True)  # nothing scanned yet
    assert flow.scan()  # the first camera frame is the checkpoint's QR
    assert flow.visit.within and flow.message.startswith("已到达 3栋东门")
    assert [i.text for i in flow.items()] == ["消防通道畅通", "电动车不在楼道充电"]
    flow.answer("fire_lane_clear", True)
    flow.answer("no_ebike_charging", False)
    with pytest.raises(FlowRefused) as refused:
        flow.finish()
    assert refused.value.key == "checkpoint.photo_needed"
    with pytest.raises(FlowRefused):
        flow.photograph("fire_lane_clear")  # a passed item needs no photo
    flow.photograph("no_ebike_charging")
    assert [(i.answer, i.has_photo) for i in flow.items()] == [("ok", False), ("failed", True)]
    record = flow.finish()
    [report] = reports(tablet)
    assert report.category == "E0505" and len(report.photos) == 1 and "电动车不在楼道充电" in report.note
    assert [(r.item, r.ok, r.report_id) for r in record.results] == [("fire_lane_clear", True, None),
                                                                      ("no_ebike_charging", False, report.id)]
    assert record.checkpoint_id == "cp-gate" and record.position.lat == pytest.approx(KIOSK_SPOT[0])
    assert tablet.device.store.outbox_state(record.id) == "pending"
    assert record.patrol_started_at == tablet.patrol.session.started_at
    assert flow.message == "3栋东门 已记录，1 项问题已上报"
    assert [(c.id, seen) for c, seen in flow.route()] == [("cp-gate", True), ("cp-shed", False)]


def test_outside_the_radius_is_flagged_and_other_qr_codes_refused(tablet):
    flow = tablet.checkpoints
    assert not flow.scan_text("440402199001011234")  # a resident card, not a checkpoint
    assert flow.message == "不是本网格的巡查点二维码"
    assert flow.scan_text(checkpoint_qr_text("cp-shed"))
    assert not flow.visit.within and "超出 20 米范围" in flow.message
    flow.answer("fire_lane_clear", True)
    assert flow.finish().results[0].ok


def test_the_balance_from_the_hub(tablet):
    flow = tablet.checkpoints
    assert flow.balance_lines() == []
    downlink(tablet, "hours", HoursBalance(person_id="p-patrol-01", system_units=9, certified_units=4,
                                           redeemed_units=2, balance_units=11, as_of=datetime.now(UTC)))
    assert flow.balance_lines() == [("信用时（巡逻记录）", "4.5 小时"), ("荣誉时（组织认定）", "2 小时"),
                                    ("已兑换", "1 小时"), ("余额", "5.5 小时")]


def test_the_checkpoint_and_hours_screens_render_in_both_languages(tmp_path):
    """Drawn for real (offscreen Kivy in a subprocess): PNGs in test-artifacts/screens/ (en/ for English)."""
    import subprocess
    import sys

    from .test_screens_render import ARTIFACTS, REPO, kivy_env

    for language in ("zh", "en"):
        for screen in ("checkpoint", "hours"):
            out = (ARTIFACTS if language == "zh" else ARTIFACTS / language) / f"tablet_{screen}_visit.png"
            out.parent.mkdir(parents=True, exist_ok=True)
            done = subprocess.run([sys.executable, "-m", "tests.terminal.app.checkpoint_shots", language,
                                   str(tmp_path / f"{language}-{screen}"), str(out), screen], cwd=REPO,
                                  env=kivy_env(tmp_path), capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, done.stdout + done.stderr
            image = cv2.imread(str(out))
            assert image is not None and image.shape[1] > image.shape[0] and image.std() > 20
