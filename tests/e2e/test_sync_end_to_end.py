"""Several devices, one hub, a real broker: every record and photo arrives once; downlinks reach only their device."""
from __future__ import annotations

import hashlib
import time
from contextlib import contextmanager

import httpx

from protocol import encode, topics
from terminal.device import Device
from terminal.photos import synthetic_photo
from tests.e2e.conftest import assert_nothing_lost, audit_dirs, plain_client, wait_until


@contextmanager
def signed_in(hub, sign_in):
    """An HTTP client of an admin of the top unit (these devices are bound to no unit)."""
    from hub import sample
    from hub.org.geojson_io import load_community

    load_community(hub.store, sample.load_raw())
    with httpx.Client(base_url=hub.base_url, timeout=10) as http:
        sign_in(http, hub.store, role="admin", scope="440400")
        yield http


def test_records_and_photos_from_several_devices_arrive_once_and_receipts_retire_them(hub, tmp_path, unique,
                                                                                       sign_in):
    devices = [Device(f"e2e-{unique}-{i}", tmp_path / "devices" / f"e2e-{unique}-{i}", hub.broker_url).start()
               for i in range(3)]
    photos = {}
    try:
        for i, dev in enumerate(devices):
            for n in range(20):
                dev.position(22.25 + n * 1e-4, 113.53, accuracy_m=5)
            dev.checkin("wellbeing", resident_key_hex=hashlib.sha256(f"r{i}".encode()).hexdigest())
            jpeg = synthetic_photo(i, 1280, 960)
            report = dev.report("fire_hazard", 22.251, 113.529, note="消防通道被占用", photos=[jpeg])
            photos[report.photos[0].sha256] = jpeg
        for dev in devices:
            assert dev.wait_drained(30), dev.status()
    finally:
        for dev in devices:
            dev.stop()

    totals = audit_dirs(tmp_path / "devices", hub.store.db_url, hub.settings.data_dir)
    assert totals.created == 3 * 22
    assert_nothing_lost(totals)
    assert httpx.get(f"{hub.base_url}/api/photos/{next(iter(photos))}").status_code == 401  # photos need a session
    with signed_in(hub, sign_in) as http:
        for sha, jpeg in photos.items():
            body = http.get(f"/api/photos/{sha}").content
            assert hashlib.sha256(body).hexdigest() == sha and body == jpeg
    assert hub.store.count_dead_letters() == 0


def test_a_downlink_reaches_the_right_device_only_and_once(hub, tmp_path, unique, sign_in):
    received: dict[str, list] = {"a": [], "b": []}
    a = Device(f"e2e-{unique}-a", tmp_path / "a", hub.broker_url, on_downlink=received["a"].append).start()
    b = Device(f"e2e-{unique}-b", tmp_path / "b", hub.broker_url, on_downlink=received["b"].append).start()
    try:
        a.wait_connected(10)
        b.wait_connected(10)
        with signed_in(hub, sign_in) as http:
            resp = http.post(f"/api/devices/{a.device_id}/messages",
                             json={"kind": "notice", "ttl_s": 600, "body": {
                                 "title": "井盖缺失", "published_at": "2024-06-01T08:00:00+08:00"}})
        assert resp.status_code == 201, resp.text
        message_id = resp.json()["id"]
        wait_until(lambda: hub.store.get_downlink(message_id).state == "delivered", 15, message="delivered")
        # A duplicate (a broker's re-delivery, a resend whose confirmation was lost) must not be applied twice,
        # before or after the app restarts. The hub never re-sends a delivered message, so the copies go on the
        # wire as a broker's would.
        row = hub.store.get_downlink(message_id)
        assert row.send_count == 1
        with plain_client(hub.broker_url, f"e2e-{unique}-copy1") as copier:
            copier.publish(topics.downlink(row.device_id), encode(row.to_message()), qos=1).wait_for_publish(5)
        a.stop()
        a = Device(f"e2e-{unique}-a", tmp_path / "a", hub.broker_url, on_downlink=received["a"].append).start()
        a.wait_connected(10)
        with plain_client(hub.broker_url, f"e2e-{unique}-copy2") as copier:
            copier.publish(topics.downlink(row.device_id), encode(row.to_message()), qos=1).wait_for_publish(5)
        time.sleep(1.0)
        assert [m.id for m in received["a"]] == [message_id]
        assert [e.id for e in a.inbox()] == [message_id]
        assert received["b"] == [] and b.inbox() == []
    finally:
        a.stop()
        b.stop()
