"""The apps end to end, over a real broker with the hub running.

Driven through the apps' own wiring - the config file ``gridline terminal run`` reads, the
``TerminalContext`` it builds (real Device, real camera providers, real position provider) and the
presenters every button calls - rather than the Kivy widgets: Kivy's Window is a per-process singleton
that would have to run in a subprocess and be scripted by synthetic touches, which tests the toolkit more
than the app. The screens are thin (bind + forward) and are rendered for real in tests/terminal/app.

1. Kiosk: a photo report (camera → quality check → category → note → the kiosk's fixed place) and a
   resident check-in with a QR card held up to the camera; the hub stores both, the photo verified.
2. Phone: the report is auto-dispatched (智能派单) to the grid leader; the task arrives through the hub's
   downlink without a refresh (the UI-refresh hook fires, the alert hook too); the leader accepts,
   records arrival with position and accuracy, resolves with a photo and a note; the case is resolved at
   the hub with that photo as evidence.
"""
from __future__ import annotations

import json
from pathlib import Path

from hub import sample
from hub.cases import CaseService
from hub.org.geojson_io import load_community
from protocol import CaseActionKind
from terminal.app.alerts import SilentAlerter
from terminal.app.config import load_config
from terminal.app.context import TerminalContext
from terminal.camera import SyntheticCameraProvider, make_card_qr
from terminal.link import Backoff
from terminal.residents import resident_key

from .conftest import wait_until

DEPLOYMENT_KEY = "e2e-deployment-key-0001"
CARD = "440402195001011234"
FAST = Backoff(minimum=0.1, maximum=0.5)


def write_config(folder: Path, device_id: str, broker: str, grid, lat: float, lon: float) -> Path:
    lon_min, lat_min, lon_max, lat_max = grid.bbox()
    path = folder / f"{device_id}.json"
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({
        "device_id": device_id, "deployment_key": DEPLOYMENT_KEY, "broker": broker,
        "data_dir": str(folder / device_id), "language": "zh",
        "grid": {"code": grid.code, "name": grid.name, "bbox": [lon_min, lat_min, lon_max, lat_max]},
        "position": {"kind": "fixed", "lat": lat, "lon": lon, "accuracy_m": 5.0},
        "camera": {"kind": "synthetic", "seed": 7}}, ensure_ascii=False), encoding="utf-8")
    return path


def test_kiosk_report_and_checkin_then_phone_handles_the_dispatched_task(hub, tmp_path):
    load_community(hub.store, sample.load_raw())
    grid1 = next(g for g in sample.grids() if g.code.endswith("001"))
    lon, lat = grid1.centre()
    apps = tmp_path / "apps"
    kiosk_config = load_config(write_config(apps, "kiosk-fs-01", hub.broker_url, grid1, lat, lon))
    phone_config = load_config(write_config(apps, "phone-fs-lead-01", hub.broker_url, grid1, lat + 0.0001, lon))
    alerter = SilentAlerter()
    ui_refreshes: list[int] = []

    with TerminalContext(kiosk_config, "kiosk", backoff=FAST) as kiosk, \
            TerminalContext(phone_config, "phone", alerter=alerter, backoff=FAST) as phone:
        phone.on_change = lambda: ui_refreshes.append(1)
        assert kiosk.device.wait_connected(10) and phone.device.wait_connected(10)

        # --- kiosk: report with a photo ---------------------------------------------------------
        report_flow = kiosk.report
        assert report_flow.capture(), report_flow.message
        report_flow.choose_category("E0101")
        report_flow.set_note("楼下垃圾堆积三天")
        report = report_flow.submit()
        photo_sha = report.photos[0].sha256

        # --- kiosk: check-in with a card QR held to the camera ------------------------------------
        kiosk.photos.close()
        kiosk.photos.camera = SyntheticCameraProvider(seed=11, held_item=make_card_qr(CARD))
        assert kiosk.checkin.scan(), kiosk.checkin.message
        kiosk.checkin.choose_kind("service_repair")
        checkin = kiosk.checkin.submit()

        assert kiosk.device.wait_drained(30), kiosk.device.status()
        stored_report = hub.store.get_record(report.id).payload_dict()
        assert stored_report["category"] == "E0101" and stored_report["note"] == "楼下垃圾堆积三天"
        assert (stored_report["position"]["lat"], stored_report["position"]["lon"]) == (lat, lon)
        assert hub.store.get_photo(photo_sha) is not None  # chunks assembled, hash verified
        stored_checkin = hub.store.get_record(checkin.id).payload_dict()
        assert stored_checkin["checkin_kind"] == "service_repair"
        assert stored_checkin["resident_key"] == resident_key(CARD, DEPLOYMENT_KEY)
        assert kiosk.status.view().waiting == "已全部上传"

        # --- phone: the dispatched task arrives by itself --------------------------------------------
        items = wait_until(lambda: ui_refreshes and phone.tasks.refresh(), 30,
                           message="the dispatched task on the leader's phone")
        [item] = items
        assert item.new and CaseActionKind.ACCEPT in item.actions
        assert alerter.alerts and alerter.alerts[0][0] == "我的任务"
        case_id = item.case_id
        service = CaseService(hub.store)
        assert service.get(case_id).source_record_id == report.id

        detail = phone.tasks.select(case_id)
        assert detail.state == "已派遣" and detail.photos == "照片 1 张"
        phone.tasks.accept()
        wait_until(lambda: service.get(case_id).state == "accepted", 30, message="accepted at the hub")
        arrived = phone.tasks.arrive()
        assert arrived.position.accuracy_m == 5.0
        assert phone.tasks.capture_result(), phone.tasks.message
        resolved = phone.tasks.resolve("已联系保洁清运，现场已清理")
        assert phone.device.wait_drained(30), phone.device.status()
        case = wait_until(lambda: (c := service.get(case_id)).state == "resolved" and c, 30,
                          message="resolved at the hub")
        assert case.resolver == "p-lead-01"
        resolve_event = [e for e in service.events(case_id) if e.transition == "resolve"][-1]
        assert resolve_event.outcome == "applied" and resolve_event.actor_device == "phone-fs-lead-01"
        assert resolve_event.evidence == [resolved.photos[0].sha256]
        assert resolve_event.note == "已联系保洁清运，现场已清理"
        assert hub.store.get_photo(resolved.photos[0].sha256) is not None
        # the hub's next picture of the case reaches the phone and the list moves on
        wait_until(lambda: [t for t in phone.device.tasks() if t.body.case_state == "resolved"]
                   or not phone.device.tasks(), 30, message="the phone's task updated after resolving")
