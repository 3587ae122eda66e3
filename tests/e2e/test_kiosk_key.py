"""Check-in works on an enrolled kiosk, over a real broker and the hub's HTTP API: enrolment hands the kiosk the
deployment key, so 居民签到 is on; a check-in typed on the number pad reaches the hub as a keyed hash; an admin
rotates the key, the kiosk is told by downlink, fetches the new key with its own account and hashes with it."""
from __future__ import annotations

import httpx

from hub import sample
from hub.org.geojson_io import load_community
from protocol import ResidentCheckin
from terminal.app.config import parse_config
from terminal.app.context import TerminalContext
from terminal.enroll import enroll, load_credentials
from terminal.residents import resident_key

from .conftest import wait_until

CARD = "44040219800101123X"


def test_an_enrolled_kiosk_checks_residents_in_and_follows_a_key_rotation(hub, tmp_path, sign_in):
    load_community(hub.store, sample.load_raw())
    with httpx.Client(base_url=hub.base_url, timeout=10) as client:
        sign_in(client, hub.store, role="admin", scope="440400")
        issued = client.post("/api/devices", json={"device_id": "kiosk-fs-09", "kind": "kiosk",
                                                   "unit_code": "440402004005001"})
        assert issued.status_code == 201, issued.text
        data_dir = tmp_path / "kiosk-fs-09"
        credentials = enroll(hub.base_url, issued.json()["code"], data_dir)
        assert credentials.deployment_key and credentials.deployment_key_generation == 1
        assert credentials.deployment_key not in repr(credentials)
        config = parse_config({"device_id": "kiosk-fs-09", "broker": hub.broker_url, "data_dir": str(data_dir),
                               "language": "zh", "grid": {"code": "440402004005001", "name": "福石社区第一网格"},
                               "position": {"kind": "fixed", "lat": 22.2715, "lon": 113.5315, "accuracy_m": 5.0},
                               "camera": {"kind": "synthetic"}})  # no deployment_key in the config: the hub's
        ctx = TerminalContext(config, "kiosk").start()
        try:
            assert ctx.device.wait_connected(20)
            assert ctx.checkin is not None  # 居民签到 is on
            for key in CARD:
                ctx.checkin.press_card_key(key)
            assert ctx.checkin.use_typed_card()
            ctx.checkin.choose_kind("wellbeing")
            first = ctx.checkin.submit()
            assert first.resident_key == resident_key(CARD, credentials.deployment_key)
            assert ctx.device.wait_drained(20)
            stored = ResidentCheckin.model_validate_json(hub.store.get_record(first.id).payload)
            assert stored.resident_key == first.resident_key and CARD not in hub.store.get_record(first.id).payload

            rotated = client.post("/api/devices/deployment-key/rotate")
            assert rotated.status_code == 200 and rotated.json()["kiosks_notified"] == 1
            wait_until(lambda: ctx.keys.generation == 2, 20, message="the rotated key on the kiosk")
            new_key = load_credentials(data_dir).deployment_key
            assert new_key != credentials.deployment_key and ctx.device.deployment_key == new_key
            assert ctx.checkin.type_card(CARD)
            ctx.checkin.choose_kind("wellbeing")
            second = ctx.checkin.submit()
            assert second.resident_key == resident_key(CARD, new_key) != first.resident_key
        finally:
            ctx.stop()
