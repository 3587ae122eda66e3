"""The grid leader's phone sees the problem, over the real broker with the whole hub running: a kiosk report with a
photo is auto-dispatched, the phone's task shows the photo's thumbnail (labelled as the report's), a tap fetches
the full photo from the hub with the phone's own enrolled credentials, and it stays viewable with the hub gone.
The arrival raised the banner and the alert. Over real HTTP the route refuses a wrong password (401) and a device
without a task citing the photo (404)."""
from __future__ import annotations

import dataclasses
import hashlib

import cv2
import httpx
import numpy as np

from hub import sample
from hub.devices.identities import DeviceRegistry
from hub.org.geojson_io import load_community
from terminal.app.alerts import RecordingSound, RecordingVibration, TaskAlerter
from terminal.app.config import load_config
from terminal.app.context import TerminalContext
from terminal.enroll import enroll, load_credentials
from terminal.link import Backoff
from terminal.photo_fetch import TaskPhotoCache

from .conftest import wait_until
from .test_apps_e2e import write_config

FAST = Backoff(minimum=0.1, maximum=0.5)
LEADER, LEADER_PHONE = "p-lead-01", "phone-fs-lead-01"


def test_kiosk_photo_reaches_the_phone_as_thumbnail_and_full_photo(hub, tmp_path):
    load_community(hub.store, sample.load_raw())
    grid1 = next(g for g in sample.grids() if g.code.endswith("001"))
    lon, lat = grid1.centre()
    apps = tmp_path / "apps"
    registry = DeviceRegistry(hub.store)
    for device, owner in ((LEADER_PHONE, LEADER), ("phone-fs-worker-01", "p-worker-01")):
        code = registry.register(device, kind="phone", unit_code=grid1.code, owner_person_id=owner, by="e2e").code
        enroll(hub.base_url, code, apps / device)  # the phone's own broker account, over HTTP
    phone_path = write_config(apps, LEADER_PHONE, hub.broker_url, grid1, lat + 0.0009, lon + 0.0009)
    config = load_config(phone_path)
    config = dataclasses.replace(config, hub_url=hub.base_url)
    kiosk_config = load_config(write_config(apps, "kiosk-fs-01", hub.broker_url, grid1, lat, lon))
    sound, vibration = RecordingSound(), RecordingVibration()
    alerter = TaskAlerter(sound, vibration)

    with TerminalContext(kiosk_config, "kiosk", backoff=FAST) as kiosk, \
            TerminalContext(config, "phone", alerter=alerter, backoff=FAST) as phone:
        assert kiosk.device.wait_connected(10) and phone.device.wait_connected(10)
        flow = kiosk.report
        assert flow.capture(), flow.message
        flow.choose_category("E0101")
        flow.set_note("楼下垃圾堆积三天")
        report = flow.submit()
        sha = report.photos[0].sha256

        def thumbnail_arrived():
            items = phone.tasks.refresh()
            if not items:
                return None
            detail = phone.tasks.select(items[0].case_id)
            views = [v for v in detail.thumbnails if v.sha256 == sha and v.thumbnail]
            return views[0] if views else None

        view = wait_until(thumbnail_arrived, 30, message="task with the photo's thumbnail on the phone")
        assert view.role == "report" and view.label == "上报照片"
        thumb = cv2.imdecode(np.frombuffer(view.thumbnail, np.uint8), cv2.IMREAD_COLOR)
        assert thumb is not None and max(thumb.shape[:2]) == 160 and len(view.thumbnail) < 8 * 1024
        # being told: the banner (in the presenter; tests/terminal/app/test_phone_screens.py shows it on screen).
        # The sync thread stores a task before it tells the flow, and the list above reads the store: the banner
        # comes with the next refresh after the telling, as the screen's coalesced refresh does.
        banner = wait_until(lambda: phone.tasks.refresh() is not None and phone.tasks.banner, 10,
                            message="the new-task banner")
        assert banner.text.startswith("新任务：")
        assert sound.played >= 1 and vibration.vibrations and alerter.alerts[0][0] == "我的任务"

        # a tap: the full photo from the hub, in the background, with the phone's own credentials
        assert phone.tasks.open_photo(sha) is None
        path = wait_until(lambda: phone.tasks.viewing_photo()[0], 15, message="full photo fetched")
        data = path.read_bytes()
        assert hashlib.sha256(data).hexdigest() == sha and len(data) > 20 * len(view.thumbnail)
        assert phone.tasks.detail().thumbnails[0].status == "原图已存本机"

        # over plain HTTP: a wrong password, and a device with no task citing the photo
        url = f"{hub.base_url}/api/device/photos/{sha}"
        worker = load_credentials(apps / "phone-fs-worker-01")
        assert httpx.get(url, auth=(LEADER_PHONE, worker.password)).status_code == 401
        assert httpx.get(url, auth=(worker.username, worker.password)).status_code == 404

    # no way to the hub (nothing listens on port 9): the fetched photo is still there, in the phone's own data dir
    offline = TaskPhotoCache(config.data_dir, "http://127.0.0.1:9", load_credentials(config.data_dir))
    assert offline.fetch(sha).read_bytes() == data
