"""巡查点 end to end over a real broker with the hub running: an admin defines three checkpoints in a grid; the
grid's tablet gets them by downlink, scans two QR codes with its camera (OpenCV) on a 65-minute patrol (the tablet's
clock is moved, not slept), fails one checklist item with a photo -> one report, so one case with that photo; the hub
records the session with its two checkpoints, lists the third as missed, credits the volunteer two half hours and
sends the balance back to the tablet."""
from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import cv2
import httpx
import sqlalchemy as sa

from hub import sample
from hub.org.geojson_io import load_community
from hub.store.tables import cases, photos
from protocol import checkpoint_qr_text
from terminal.app.config import parse_config
from terminal.app.context import TerminalContext
from terminal.camera import FileCameraProvider
from terminal.camera.qr import qr_image
from terminal.link import Backoff

from ..terminal.app.conftest import scene
from .conftest import wait_until

FAST = Backoff(minimum=0.1, maximum=0.5)


class MovableClock:
    def __init__(self, offset: timedelta) -> None:
        self._offset = offset
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return datetime.now(UTC) + self._offset

    def forward(self, delta: timedelta) -> None:
        with self._lock:
            self._offset += delta


def test_two_of_three_checkpoints_one_failed_item_one_case_and_the_hours(hub, tmp_path, sign_in):
    load_community(hub.store, sample.load_raw())
    grid = next(g for g in sample.grids() if g.code.endswith("001"))
    lon, lat = grid.centre()
    with httpx.Client(base_url=hub.base_url, timeout=10) as http:
        sign_in(http, hub.store, role="admin", scope="440402004005")
        made = {}
        for name, dlat in (("3栋东门", 0.0), ("5栋消防通道", 0.0001), ("电动车棚", 0.004)):
            answer = http.post("/api/patrols/checkpoints", json={"grid_code": grid.code, "name": name,
                                                                  "lat": lat + dlat, "lon": lon, "radius_m": 30})
            assert answer.status_code == 201, answer.text
            made[name] = answer.json()
        qr = http.get(f"/api/patrols/checkpoints/{made['3栋东门']['id']}/qr.png")
        assert qr.status_code == 200 and qr.content[:4] == b"\x89PNG"
        jobs = hub.app.state.jobs
        jobs.handle("patrols").run_once()  # the checkpoint lists go out now

        frames = []
        for i, image in enumerate([qr_image(checkpoint_qr_text(made["3栋东门"]["id"])), scene(),
                                   qr_image(checkpoint_qr_text(made["5栋消防通道"]["id"]))]):
            frames.append(tmp_path / f"frame-{i}.png")
            cv2.imwrite(str(frames[-1]), image)
        clock = MovableClock(-timedelta(minutes=70))  # the patrol began 70 minutes ago and ends 5 minutes ago
        config = parse_config({
            "device_id": "tablet-fs-01", "broker": hub.broker_url, "data_dir": str(tmp_path / "tablet-fs-01"),
            "patrol_interval_s": 0.2, "grid": {"code": grid.code, "bbox": list(grid.bbox())},
            "position": {"kind": "fixed", "lat": lat + 0.00005, "lon": lon, "accuracy_m": 5.0}})
        with TerminalContext(config, "tablet", backoff=FAST, clock=clock,
                             camera=FileCameraProvider(frames)) as tablet:
            assert tablet.device.wait_connected(10)
            flow = tablet.checkpoints
            wait_until(lambda: flow.checkpoint_list() is not None, 20, message="the checkpoint list on the tablet")
            assert len(flow.route()) == 3
            tablet.patrol.start()
            clock.forward(timedelta(minutes=10))
            tablet.patrol.poll(force=True)
            assert flow.scan() and flow.visit.within  # the gate's QR through the camera
            flow.answer("fire_lane_clear", True)
            flow.answer("no_ebike_charging", False)
            flow.answer("gas_safe", True)
            flow.photograph("no_ebike_charging")  # the next frame: the charging bikes in the stairwell
            gate = flow.finish()
            clock.forward(timedelta(minutes=25))
            tablet.patrol.poll(force=True)
            assert flow.scan() and flow.visit.within  # the fire lane's QR
            for item in ("fire_lane_clear", "no_ebike_charging", "gas_safe"):
                flow.answer(item, True)
            flow.finish()
            clock.forward(timedelta(minutes=30))
            tablet.patrol.poll(force=True)
            tablet.patrol.ask_stop()
            tablet.patrol.stop()  # 65 minutes on route
            wait_until(lambda: tablet.device.status().pending == 0 and tablet.device.store.photos_pending() == 0,
                       30, message="every record and the photo at the hub")

            [failed] = [r for r in gate.results if not r.ok]

            def case_count() -> int:  # a fresh transaction each time: one held open would see one snapshot only
                with hub.store.read() as conn:
                    return conn.execute(sa.select(sa.func.count()).select_from(cases)).scalar_one()

            wait_until(lambda: case_count() == 1, 30, message="one case")
            items = http.get("/api/cases").json()["items"]
            assert len(items) == 1
            detail = http.get(f"/api/cases/{items[0]['id']}").json()
            assert detail["category_code"] == "E0505", detail
            with hub.store.engine.connect() as conn:
                shas = conn.execute(sa.select(photos.c.sha256)).scalars().all()
            events = http.get(f"/api/cases/{items[0]['id']}/events").json()
            assert len(shas) == 1 and shas[0] in events[0]["evidence"]  # the failed item's photo is the case's
            assert "电动车不在楼道充电" in detail["note"]

            jobs.handle("patrols").run_once()
            [session] = http.get("/api/patrols/sessions").json()
            assert session["person_id"] == "p-patrol-01" and session["units"] == 2
            assert sorted(session["checkpoint_ids"]) == sorted([made["3栋东门"]["id"], made["5栋消防通道"]["id"]])
            missed = http.get("/api/patrols/missed").json()
            assert [m["name"] for m in missed] == ["电动车棚"]
            [cover] = http.get("/api/patrols/coverage").json()
            assert (cover["checkpoints"], cover["visited"], cover["failed_items"]) == (3, 2, 1)
            hours = {b["person_id"]: b for b in http.get("/api/volunteers/hours").json()}
            assert hours["p-patrol-01"]["system_units"] == 2 and hours["p-patrol-01"]["balance_hours"] == 1.0
            balance = wait_until(flow.balance, 20, message="the balance on the tablet")
            assert balance.system_units == 2 and flow.balance_lines()[-1] == ("余额", "1 小时")
            assert failed.report_id
