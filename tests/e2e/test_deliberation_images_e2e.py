"""议事 topic images over a real broker and the real hub: grid 3's kiosk's report photo reaches the hub, an
operator opens grid 1's topic with it over the HTTP API, the topic reaches that grid's kiosk, and the kiosk - with
its own enrolled credentials, in the background - fetches the image from ``GET /api/device/photos/{sha256}``; the
presenter the screen draws from ends with the image's bytes (sha256 checked), and still has them when the kiosk
restarts with no hub. Over real HTTP the route refuses the kiosk of another grid (404: the topic is not delivered
there) and, once the topic is withdrawn, the grid's own kiosk too."""
from __future__ import annotations

import dataclasses
import hashlib
from datetime import UTC, datetime, timedelta

import httpx

from hub import sample
from hub.deliberation import repo
from hub.devices.identities import DeviceRegistry
from hub.org.geojson_io import load_community
from terminal.app.config import load_config
from terminal.app.context import TerminalContext
from terminal.enroll import enroll, load_credentials

from .conftest import wait_until
from .test_apps_e2e import FAST, write_config

KIOSK_1, KIOSK_2, REPORTER = "kiosk-fs-01", "kiosk-fs-02", "kiosk-fs-03"


def photo_stored(hub, sha: str) -> bool:
    photo = hub.store.get_photo(sha)
    return photo is not None and hub.store.photo_file(photo).is_file()


def test_a_topic_image_reaches_the_kiosk_of_its_grid_only(hub, tmp_path, sign_in):
    load_community(hub.store, sample.load_raw())
    grids = {g.code[-3:]: g for g in sample.grids()}
    apps = tmp_path / "apps"
    registry = DeviceRegistry(hub.store)
    configs = {}
    for device, grid in ((KIOSK_1, grids["001"]), (KIOSK_2, grids["002"])):
        code = registry.register(device, kind="kiosk", unit_code=grid.code, by="e2e").code
        enroll(hub.base_url, code, apps / device)  # the kiosk's own broker account, over HTTP
        lon, lat = grid.centre()
        configs[device] = dataclasses.replace(load_config(write_config(apps, device, hub.broker_url, grid, lat, lon)),
                                              hub_url=hub.base_url)
    lon, lat = grids["003"].centre()
    reporter_config = load_config(write_config(apps, REPORTER, hub.broker_url, grids["003"], lat, lon))

    # a report photo of another grid: neither kiosk holds a task citing it (only the topic may show it)
    with TerminalContext(reporter_config, "kiosk", backoff=FAST) as reporter:
        report = reporter.report
        assert report is not None
        assert report.capture(), report.message
        report.choose_category("E0101")
        report.set_note("楼道堆物，拟议定清理公约")
        sha = report.submit().photos[0].sha256
        wait_until(lambda: photo_stored(hub, sha), 30, message="the photo at the hub")

    with TerminalContext(configs[KIOSK_1], "kiosk", backoff=FAST) as kiosk:
        assert kiosk.device.wait_connected(10)
        refreshes: list[int] = []
        kiosk.on_change = lambda: refreshes.append(1)  # the app's @mainthread refresh
        own, other = load_credentials(apps / KIOSK_1), load_credentials(apps / KIOSK_2)
        assert own is not None and other is not None
        url = f"{hub.base_url}/api/device/photos/{sha}"
        assert httpx.get(url, auth=(own.username, own.password)).status_code == 404  # no topic cites it yet

        now = datetime.now(UTC)
        with httpx.Client(base_url=hub.base_url, timeout=10) as operator:
            sign_in(operator, hub.store, role="dispatcher")
            made = operator.post("/api/deliberation/topics", json={
                "unit_code": grids["001"].code, "title": "楼道堆物清理公约", "background": "请看现场照片",
                "images": [sha], "comments_until": (now + timedelta(days=7)).isoformat()})
            assert made.status_code == 201, made.text
            topic_id = made.json()["id"]

        flow = kiosk.deliberation
        assert flow is not None
        [line] = wait_until(lambda: flow.topics(), 30, message="the topic on the kiosk")
        assert line.topic_id == topic_id
        flow.open(topic_id)

        def image_here():
            view = flow.view()
            return view.image if view and view.image is not None else None

        path = wait_until(image_here, 30, message="the topic's image fetched by the kiosk")
        data = path.read_bytes()
        assert hashlib.sha256(data).hexdigest() == sha
        view = flow.view()
        assert view is not None and (view.images_line, view.image_text) == ("1 张图片", "")
        assert refreshes  # the arrivals reached the UI through on_change, never by blocking it

        # over real HTTP: the other grid's kiosk is not shown this topic, so not its image
        assert httpx.get(url, auth=(other.username, other.password)).status_code == 404
        assert httpx.get(url, auth=(own.username, own.password)).content == data
        with hub.store.write() as conn:  # withdrawn (no route for it yet): its image leaves the kiosks too
            repo.update_topic(conn, topic_id, {"state": "withdrawn"})
        assert httpx.get(url, auth=(own.username, own.password)).status_code == 404

    # restarted offline, no hub to reach: the image fetched before still shows (the topic as it was stored)
    again = TerminalContext(dataclasses.replace(configs[KIOSK_1], hub_url="http://127.0.0.1:9"), "kiosk")
    try:
        again.start(connect=False)
        assert again.deliberation is not None
        again.deliberation.open(topic_id)
        view = again.deliberation.view()
        assert view is not None and view.image is not None and view.image.read_bytes() == data
    finally:
        again.stop()
