"""巡查点 and hour-ledger API over a real store (SQLite and PostgreSQL), bridge disabled: admins define checkpoints
and routes in their subtree only (another community's grid is 404, a viewer or dispatcher 403), the QR prints, the
coverage and missed lists stay in scope; certified hours and redemptions need an organiser, never exceed the
balance, and the ledger exports as CSV / xlsx - by person, never ranked."""
from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from hub import sample
from hub.app import create_app
from hub.org.geojson_io import load_community
from hub.org.repo import Person, Unit, save_people, save_units
from hub.settings import HubSettings
from tests.hub.api.test_welfare import MONDAY, at

COMMUNITY, GRID1 = "440402004005", "440402004005001"
OTHER = "440402004006"


@pytest.fixture
def client(store, tmp_path, clock, sign_in):
    clock.now = at(MONDAY, 9)
    load_community(store, sample.load_raw(), clock=clock)
    with store.write() as conn:
        save_units(conn, [Unit(OTHER, "community", "湾仔社区", "440402004"),
                          Unit(OTHER + "001", "grid", "湾仔一网格", OTHER)], clock())
        save_people(conn, [Person("p-wz-vol", "湾仔志愿者", "patrol_volunteer", OTHER + "001")])
    app = create_app(HubSettings(data_dir=tmp_path / "data"), store=store, start_bridge=False, clock=store.clock)
    with TestClient(app) as test_client:
        test_client.tokens = {
            "admin": sign_in(test_client, store, role="admin", scope=COMMUNITY, username="adm", set_default=False),
            "other": sign_in(test_client, store, role="admin", scope=OTHER, username="adm-wz", set_default=False),
            "viewer": sign_in(test_client, store, role="viewer", scope=COMMUNITY, username="view", set_default=False),
            "worker": sign_in(test_client, store, role="dispatcher", scope=COMMUNITY, person="p-worker-01",
                              username="worker", set_default=False),
            "volunteer": sign_in(test_client, store, role="dispatcher", scope=COMMUNITY, person="p-patrol-01",
                                 username="vol", set_default=False)}
        yield test_client


def as_(client, who: str) -> dict:
    return {"Authorization": f"Bearer {client.tokens[who]}"}


def test_checkpoints_routes_and_scope(client):
    body = {"grid_code": GRID1, "name": "3栋东门", "lat": 22.2712, "lon": 113.5311, "radius_m": 30}
    assert client.post("/api/patrols/checkpoints", json=body, headers=as_(client, "viewer")).status_code == 403
    assert client.post("/api/patrols/checkpoints", json=body, headers=as_(client, "worker")).status_code == 403
    assert client.post("/api/patrols/checkpoints", json=body, headers=as_(client, "other")).status_code == 404
    made = client.post("/api/patrols/checkpoints", json=body, headers=as_(client, "admin"))
    assert made.status_code == 201, made.text
    point = made.json()
    assert point["qr_text"] == f"GLCP:{point['id']}" and [i["code"] for i in point["checklist"]] == [
        "fire_lane_clear", "no_ebike_charging", "gas_safe"]
    bad = client.post("/api/patrols/checkpoints", headers=as_(client, "admin"), json=body | {
        "checklist": [{"code": "x", "text": "X", "category": "Z9999"}]})
    assert bad.status_code == 422 and bad.json()["detail"]["code"] == "bad_checkpoint"
    qr = client.get(f"/api/patrols/checkpoints/{point['id']}/qr.png", headers=as_(client, "viewer"))
    assert qr.status_code == 200 and qr.headers["content-type"] == "image/png"
    assert client.get(f"/api/patrols/checkpoints/{point['id']}/qr.png", headers=as_(client, "other")).status_code == 404
    listed = client.get("/api/patrols/checkpoints", headers=as_(client, "viewer")).json()
    assert [c["id"] for c in listed] == [point["id"]]
    assert client.get("/api/patrols/checkpoints", headers=as_(client, "other")).json() == []
    assert client.put(f"/api/patrols/routes/{GRID1}", json={"checkpoint_ids": [point["id"]]},
                      headers=as_(client, "admin")).status_code == 200
    assert client.put(f"/api/patrols/routes/{GRID1}", json={"checkpoint_ids": ["cp-nope"]},
                      headers=as_(client, "admin")).status_code == 422
    assert client.put(f"/api/patrols/routes/{GRID1}", json={"checkpoint_ids": []},
                      headers=as_(client, "other")).status_code == 404
    assert [m["id"] for m in client.get("/api/patrols/missed", headers=as_(client, "viewer")).json()] == [point["id"]]
    assert client.get("/api/patrols/missed", headers=as_(client, "other")).json() == []
    [cover] = client.get("/api/patrols/coverage", headers=as_(client, "viewer")).json()
    assert (cover["grid_code"], cover["checkpoints"], cover["visited"], cover["share"]) == (GRID1, 1, 0, 0.0)
    assert client.delete(f"/api/patrols/checkpoints/{point['id']}", headers=as_(client, "other")).status_code == 404
    assert client.delete(f"/api/patrols/checkpoints/{point['id']}", headers=as_(client, "admin")).status_code == 204
    assert client.get("/api/patrols/checkpoints", headers=as_(client, "viewer")).json() == []


def test_hours_certified_redeemed_exported_never_ranked(client, clock):
    url = "/api/volunteers/p-patrol-01"
    assert client.post(f"{url}/certified", json={"units": 4, "reason": "消防演练"},
                       headers=as_(client, "viewer")).status_code == 403
    refused = client.post(f"{url}/certified", json={"units": 4, "reason": "给自己加"}, headers=as_(client, "volunteer"))
    assert refused.status_code == 422  # a volunteer is no organiser
    assert client.post("/api/volunteers/p-wz-vol/certified", json={"units": 4, "reason": "x"},
                       headers=as_(client, "worker")).status_code == 404  # another community's volunteer
    made = client.post(f"{url}/certified", json={"units": 4, "reason": "社区消防演练"}, headers=as_(client, "worker"))
    assert made.status_code == 201 and made.json()["units"] == 4
    clock.now += timedelta(minutes=1)
    over = client.post(f"{url}/redemptions", json={"units": 5, "reason": "兑换米油"}, headers=as_(client, "worker"))
    assert over.status_code == 422 and over.json()["detail"]["code"] == "bad_hours"
    assert client.post(f"{url}/redemptions", json={"units": 3, "reason": "兑换米油"},
                       headers=as_(client, "worker")).status_code == 201
    balances = client.get("/api/volunteers/hours", headers=as_(client, "viewer")).json()
    mine = {b["person_id"]: b for b in balances}["p-patrol-01"]
    assert (mine["certified_units"], mine["redeemed_units"], mine["balance_units"]) == (4, 3, 1)
    assert mine["balance_hours"] == 0.5
    assert [b["person_id"] for b in balances] == sorted(b["person_id"] for b in balances)  # by person, not hours
    assert "p-wz-vol" not in {b["person_id"] for b in balances}
    entries = client.get(f"{url}/hours", headers=as_(client, "viewer")).json()
    assert [(e["kind"], e["units"]) for e in entries] == [("certified", 4), ("redemption", -3)]
    csv = client.get("/api/volunteers/hours/export", params={"format": "csv"}, headers=as_(client, "viewer"))
    assert csv.status_code == 200 and csv.content.startswith(b"\xef\xbb\xbf") and "p-patrol-01" in csv.text
    xlsx = client.get("/api/volunteers/hours/export", headers=as_(client, "viewer"))
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
