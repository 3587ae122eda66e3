"""The device admin API as the dashboard's devices page uses it (both backends): clearing a flag, the owner of a
registered device belonging to the unit it serves, admins of another community kept out of every route (404)
and non-admins refused (403), and each change naming the device in the access audit log."""
from __future__ import annotations

import time

import pytest

from hub import sample
from hub.devices import DeviceRegistry
from hub.org.geojson_io import load_community
from hub.org.repo import Unit, save_units
from tests.hub.devices.conftest import password_login

GRID1, GRID2 = "440402004005001", "440402004005002"
COMMUNITY, OTHER = "440402004005", "440402004006"
PASSWORD = "Grid-line-2026!"


@pytest.fixture
def api(store, tmp_path):
    from fastapi.testclient import TestClient

    from hub.app import create_app
    from hub.auth.operators import OperatorDirectory
    from hub.settings import HubSettings

    load_community(store, sample.load_raw())
    with store.write() as conn:
        save_units(conn, [Unit(OTHER, "community", "湾仔社区", "440402004"),
                          Unit(OTHER + "001", "grid", "湾仔一网格", OTHER)], store.clock())
    directory = OperatorDirectory(store, clock=store.clock)
    directory.create("admin", PASSWORD, role="admin", scope_code=COMMUNITY)
    directory.create("wzadmin", PASSWORD, role="admin", scope_code=OTHER)
    directory.create("clerk", PASSWORD, role="dispatcher", scope_code=COMMUNITY)
    settings = HubSettings(data_dir=tmp_path / "data", broker_url="mqtt://10.1.2.3:1883")
    app = create_app(settings, store=store, start_bridge=False, clock=store.clock)
    registry = DeviceRegistry(store, clock=store.clock)
    with TestClient(app) as client:
        login = password_login(client, PASSWORD)
        yield client, login, registry


def _audited(client, headers, device_id: str, method: str) -> list[dict]:
    for _ in range(50):  # the audit row is written just after the response has gone out
        rows = [r for r in client.get("/api/access-log", params={"resource_id": device_id}, headers=headers).json()
                if r["method"] == method]
        if rows:
            return rows
        time.sleep(0.05)
    return []


def test_clear_flag_admin_only_in_scope_and_audited(api):
    client, login, registry = api
    admin, clerk, wz = login("admin"), login("clerk"), login("wzadmin")
    assert client.post("/api/devices", json={"device_id": "kiosk-flag-01", "kind": "kiosk", "unit_code": GRID1},
                       headers=admin).status_code == 201
    registry.flag("kiosk-flag-01", "device_mismatch", "payload named kiosk-fs-02")
    [listed] = client.get("/api/device-identities", headers=admin).json()
    assert listed["flag"]["reason"] == "device_mismatch" and listed["flag"]["count"] == 1
    assert client.delete("/api/devices/kiosk-flag-01/flag", headers=clerk).status_code == 403
    assert client.get("/api/device-identities", headers=clerk).status_code == 403  # non-admins: presence list only
    assert client.delete("/api/devices/kiosk-flag-01/flag", headers=wz).status_code == 404
    assert registry.get("kiosk-flag-01").flag is not None  # refusals changed nothing
    assert client.delete("/api/devices/kiosk-flag-01/flag", headers=admin).status_code == 204
    assert registry.get("kiosk-flag-01").flag is None
    assert client.delete("/api/devices/kiosk-flag-01/flag", headers=admin).status_code == 404  # nothing open
    [row] = [r for r in _audited(client, admin, "kiosk-flag-01", "DELETE") if r["status"] == 204]
    assert row["operator_id"] and row["route"] == "/api/devices/{device_id}/flag"


def test_another_communitys_admin_cannot_see_or_touch_the_device(api):
    client, login, _ = api
    admin, wz = login("admin"), login("wzadmin")
    issued = client.post("/api/devices", json={"device_id": "tablet-fs-09", "kind": "tablet", "unit_code": GRID2},
                         headers=admin)
    assert issued.status_code == 201, issued.text
    assert client.get("/api/device-identities", headers=wz).json() == []
    assert [d["id"] for d in client.get("/api/map/devices", headers=wz).json()["devices"]] == []
    for method, path, body in [("get", "/api/devices/tablet-fs-09/identity", None),
                               ("post", "/api/devices/tablet-fs-09/enrollment-code", {}),
                               ("post", "/api/devices/tablet-fs-09/revoke", {"reason": "试探"})]:
        r = client.request(method.upper(), path, json=body, headers=wz)
        assert r.status_code == 404, (path, r.text)
    # Nor can it register the same id into its own community (taking the device over), nor into ours.
    taken = client.post("/api/devices", json={"device_id": "tablet-fs-09", "kind": "tablet",
                                              "unit_code": OTHER + "001"}, headers=wz)
    assert taken.status_code == 409
    assert client.post("/api/devices", json={"device_id": "tablet-wz-09", "kind": "tablet", "unit_code": GRID1},
                       headers=wz).status_code == 404
    assert client.get("/api/devices/tablet-fs-09/identity", headers=admin).json()["state"] == "pending"


def test_owner_must_work_in_the_unit_the_device_serves(api):
    client, login, _ = api
    admin = login("admin")
    wrong = client.post("/api/devices", json={"device_id": "phone-x-01", "kind": "phone", "unit_code": GRID2,
                                              "owner_person_id": "p-lead-01"}, headers=admin)  # p-lead-01: grid 1
    assert wrong.status_code == 422 and wrong.json()["detail"]["code"] == "owner_elsewhere"
    assert client.get("/api/device-identities", headers=admin).json() == []  # nothing half-registered
    for device_id, unit in [("phone-x-01", GRID1), ("phone-x-02", COMMUNITY)]:  # the grid, or the community above
        r = client.post("/api/devices", json={"device_id": device_id, "kind": "phone", "unit_code": unit,
                                              "owner_person_id": "p-lead-01"}, headers=admin)
        assert r.status_code == 201, r.text
    [row] = [r for r in _audited(client, admin, "phone-x-02", "POST") if r["route"] == "/api/devices"]
    assert row["status"] == 201 and row["resource_ids"]["unit_code"] == COMMUNITY
