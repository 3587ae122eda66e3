"""The deployment key (resident cards are hashed with it): kiosks get it at enrolment and from their own signed-in
route, no other device does; an admin of the whole deployment rotates it and every active kiosk is told by a downlink
that names the generation, never the key; the key is kept 0600 and never logged."""
from __future__ import annotations

import base64
import json
import logging
import stat

import pytest

from hub import sample
from hub.devices.deployment_key import KEY_FILE
from hub.devices.identities import DeviceRegistry
from hub.org.geojson_io import load_community
from tests.hub.devices.conftest import password_login

PASSWORD = "Grid-line-2026!"
GRID = "440402004005001"


@pytest.fixture
def api(store, tmp_path):
    from fastapi.testclient import TestClient

    from hub.app import create_app
    from hub.auth.operators import OperatorDirectory
    from hub.settings import HubSettings

    load_community(store, sample.load_raw())
    directory = OperatorDirectory(store, clock=store.clock)
    directory.create("top", PASSWORD, role="admin", scope_code="440400")  # the sample's root: the whole deployment
    directory.create("community", PASSWORD, role="admin", scope_code="440402004005")
    settings = HubSettings(data_dir=tmp_path / "data", broker_url="mqtt://gridline-hub:hub-secret@10.1.2.3:1883")
    app = create_app(settings, store=store, start_bridge=False, clock=store.clock)
    with TestClient(app) as client:
        login = password_login(client, PASSWORD)
        yield client, login, settings


def enrol(client, headers, device_id: str, kind: str) -> dict:
    issued = client.post("/api/devices", json={"device_id": device_id, "kind": kind, "unit_code": GRID},
                         headers=headers)
    assert issued.status_code == 201, issued.text
    got = client.post("/api/enroll", json={"code": issued.json()["code"]})
    assert got.status_code == 200, got.text
    return got.json()


def basic(device_id: str, password: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{device_id}:{password}".encode()).decode()}


def test_kiosks_get_the_key_and_nobody_else_and_rotation_tells_every_kiosk(api, store, caplog):
    client, login, settings = api
    caplog.set_level(logging.DEBUG)
    top = login("top")
    kiosk = enrol(client, top, "kiosk-key-01", "kiosk")
    phone = enrol(client, top, "phone-key-01", "phone")
    key1 = kiosk["deployment_key"]
    assert len(key1) == 64 and kiosk["deployment_key_generation"] == 1
    assert phone["deployment_key"] is None and phone["deployment_key_generation"] is None
    path = settings.data_dir / KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700

    got = client.get("/api/device/deployment-key", headers=basic("kiosk-key-01", kiosk["password"]))
    assert got.status_code == 200 and got.json() == {"generation": 1, "key": key1}
    assert got.headers["cache-control"] == "no-store"
    assert client.get("/api/device/deployment-key", headers=basic("phone-key-01", phone["password"])).status_code == 403
    assert client.get("/api/device/deployment-key", headers=basic("kiosk-key-01", "wrong")).status_code == 401
    assert client.get("/api/device/deployment-key").status_code == 401

    assert client.post("/api/devices/deployment-key/rotate", headers=login("community")).status_code == 403
    rotated = client.post("/api/devices/deployment-key/rotate", headers=top)
    assert rotated.status_code == 200 and rotated.json() == {"generation": 2, "kiosks_notified": 1}
    told = [(r.kind, json.loads(r.body)) for r in store.list_downlinks("kiosk-key-01") if r.kind == "deployment_key"]
    assert told == [("deployment_key", {"generation": 2})]  # the generation, not the key
    assert not [r for r in store.list_downlinks("phone-key-01") if r.kind == "deployment_key"]
    key2 = client.get("/api/device/deployment-key", headers=basic("kiosk-key-01", kiosk["password"])).json()
    assert key2["generation"] == 2 and key2["key"] != key1 and len(key2["key"]) == 64
    assert key1 not in caplog.text and key2["key"] not in caplog.text


def test_a_revoked_kiosk_gets_no_key(api, store):
    client, login, _ = api
    top = login("top")
    kiosk = enrol(client, top, "kiosk-key-02", "kiosk")
    DeviceRegistry(store, clock=store.clock).revoke("kiosk-key-02", by="top")
    assert client.get("/api/device/deployment-key", headers=basic("kiosk-key-02", kiosk["password"])).status_code == 401
