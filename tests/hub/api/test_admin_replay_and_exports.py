"""Issue 20's admin APIs beside the people: dead letters inspected and replayed through the normal ingest path
(stored after a fix, a duplicate the second time, refused again with the new letter's reason, a cut payload not
replayable, another community's letter 404), categories edited by the top unit's admin only (with the values
before and after in the access log) and the access log exported as xlsx (codes as text, header frozen) and CSV -
over a real store, SQLite and PostgreSQL."""
from __future__ import annotations

import io
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from hub import sample
from hub.app import create_app
from hub.auth.access_log import AccessLog
from hub.mqtt.replay import ReplayRefused, replay
from hub.org.geojson_io import load_community
from hub.org.repo import DeviceBinding, Unit, save_device_bindings, save_units
from hub.org.taxonomy import get_category
from hub.settings import HubSettings
from hub.store import DeadLetter
from protocol import encode, uplink_topic_for
from tests.hub.conftest import T0, Device

FUSHI, CUIWEI, STREET, CITY = "440402004005", "440402004006", "440402004", "440400"


@pytest.fixture
def client(store, tmp_path, clock):
    load_community(store, sample.load_raw(), clock=clock)
    with store.write() as conn:
        save_units(conn, [Unit(CUIWEI, "community", "翠微社区", STREET),
                          Unit(CUIWEI + "001", "grid", "翠微一网格", CUIWEI)],
                   clock())
        save_device_bindings(conn, [DeviceBinding("kiosk-cw-01", "kiosk", CUIWEI + "001")])
    app = create_app(HubSettings(data_dir=tmp_path / "data"), store=store, start_bridge=False, clock=clock)
    with TestClient(app) as test_client:
        yield test_client


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def letter(store, device_id: str, payload: bytes, reason: str) -> int:
    report = Device(device_id).report("井盖缺失")
    store.store_dead_letter(DeadLetter(uplink_topic_for(report), payload, T0, reason, "then", device_id))
    return store.list_dead_letters(limit=1)[0].id


def test_dead_letters_are_inspected_and_replayed_through_ingest(client, store, sign_in):
    sign_in(client, store, role="admin", scope=FUSHI, username="fs-admin")
    other = sign_in(client, store, role="admin", scope=CUIWEI, username="cw-admin", set_default=False)
    report = Device("kiosk-fs-01").report("井盖缺失")
    good = letter(store, "kiosk-fs-01", encode(report), "store_error")  # the database refused it then; fixed since
    junk = letter(store, "kiosk-fs-01", b"{not json", "not_json")
    theirs = letter(store, "kiosk-cw-01", encode(Device("kiosk-cw-01").report()), "store_error")

    listed = client.get("/api/dead-letters").json()
    assert {d["id"] for d in listed} == {good, junk}
    shown = client.get(f"/api/dead-letters/{good}").json()
    assert shown["replayable"] and shown["replays"] == [] and "井盖缺失" in shown["payload_preview"]
    assert client.get(f"/api/dead-letters/{theirs}").status_code == 404
    assert client.post(f"/api/dead-letters/{theirs}/replay").status_code == 404
    assert client.post(f"/api/dead-letters/{good}/replay", headers=bearer(other)).status_code == 404

    assert store.count_records(device_id="kiosk-fs-01") == 0
    first = client.post(f"/api/dead-letters/{good}/replay")
    assert first.status_code == 200, first.text
    assert first.json()["replay"]["outcome"] == "stored" and first.json()["new_letter"] is None
    assert store.count_records(device_id="kiosk-fs-01") == 1
    assert client.post(f"/api/dead-letters/{good}/replay").json()["replay"]["outcome"] == "duplicate"
    assert store.count_records(device_id="kiosk-fs-01") == 1
    again = client.post(f"/api/dead-letters/{junk}/replay").json()
    assert again["replay"]["outcome"] == "dead" and again["new_letter"]["reason"] == "not_json"
    assert again["replay"]["new_dead_letter_id"] == again["new_letter"]["id"]
    assert [r["outcome"] for r in client.get(f"/api/dead-letters/{good}").json()["replays"]] == ["stored", "duplicate"]
    assert any(e.resource_ids.get("outcome") == "stored"
               for e in AccessLog(store).query(route="/api/dead-letters/{letter_id}/replay"))

    # a letter whose payload was cut to the hub's cap, or that never came off the wire, is not replayable
    kept = store.list_dead_letters(limit=1)[0]
    with pytest.raises(ReplayRefused, match="cut"):
        replay(store, replace(kept, payload_size=len(kept.payload) + 1), by_operator="x")
    with pytest.raises(ReplayRefused):
        replay(store, replace(kept, topic="presence/kiosk-fs-01"), by_operator="x")


def test_categories_are_edited_by_the_top_admin_only(client, store, sign_in):
    sign_in(client, store, role="admin", scope=FUSHI, username="fs-admin", set_default=True)
    code = client.get("/api/categories").json()[0]["code"]
    assert client.get("/api/categories/levels").json() == {"yellow_at": 0.5, "red_at": 0.8}  # the shown colour points
    refused = client.patch(f"/api/categories/{code}", json={"enabled": False})
    assert refused.status_code == 403 and refused.json()["detail"]["code"] == "not_top"
    sign_in(client, store, role="admin", scope=CITY, username="city-admin")
    before = get_category(store, code)
    changed = client.patch(f"/api/categories/{code}", json={
        "enabled": False, "time_limit_value": 3, "time_limit_unit": "working_days", "department": "市政所",
        "urgent": True})
    assert changed.status_code == 200, changed.text
    after = get_category(store, code)
    assert (after.enabled, after.time_limit_value, after.time_limit_unit, after.department, after.urgent) == (
        False, 3, "working_days", "市政所", True)
    assert code not in {c["code"] for c in client.get("/api/categories?enabled_only=true").json()}
    assert client.patch(f"/api/categories/{code}", json={"time_limit_value": 3}).status_code == 422
    assert client.patch(f"/api/categories/{code}", json={"time_limit_value": 0,
                                                         "time_limit_unit": "working_days"}).status_code == 422
    assert client.patch("/api/categories/X9999", json={"enabled": True}).status_code == 404
    cleared = client.patch(f"/api/categories/{code}", json={"department": "", "enabled": True}).json()
    assert cleared["department"] is None and cleared["enabled"] is True
    entry = next(e for e in AccessLog(store).query(route="/api/categories/{code}") if e.status == 200
                 and e.resource_ids.get("after", {}).get("department") == "市政所")
    assert entry.resource_ids["before"]["time_limit_value"] == before.time_limit_value
    assert entry.resource_ids["after"]["department"] == "市政所"


def test_the_access_log_exports_as_xlsx_and_csv(client, store, sign_in):
    sign_in(client, store, role="admin", scope=FUSHI, username="fs-admin")
    client.post("/api/people", json={"name": "=HYPERLINK(1)", "role": "helper", "unit_code": FUSHI + "001"})
    client.patch("/api/people/p-lead-01", json={"name": "网格长陈"})
    rows = client.get("/api/access-log?route=/api/people").json()
    assert rows
    made = client.get("/api/access-log/export?format=xlsx&route=/api/people")
    assert made.status_code == 200
    assert made.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(made.content)).active
    assert sheet.freeze_panes == "A2"
    assert [c.value for c in sheet[1]][:3] == ["序号", "时间", "操作员"]
    data = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(data) == len(rows)
    assert all(isinstance(r[0], str) for r in data) and data[0][3] == "fs-admin"
    csv = client.get("/api/access-log/export?format=csv&lang=en").content.decode("utf-8-sig")
    assert csv.splitlines()[0].startswith("id,time,operator id,username")
    assert "fs-admin" in csv
    other = sign_in(client, store, role="admin", scope=CUIWEI, username="cw-admin", set_default=False)
    theirs = client.get("/api/access-log/export?format=csv", headers=bearer(other)).content.decode("utf-8-sig")
    assert "fs-admin" not in theirs
