"""HTTP API over a real store (SQLite and PostgreSQL), bridge disabled, signed in as an admin of the top unit
(the devices here are bound to no unit, which only the top unit's operators see)."""
from __future__ import annotations

import base64
import os

import pytest
from fastapi.testclient import TestClient

from hub import sample
from hub.app import create_app
from hub.mqtt.ingest import RawMessage, ingest_batch
from hub.org.geojson_io import load_community
from hub.settings import HubSettings
from tests.hub.conftest import T0, Device, raw


@pytest.fixture
def client(store, tmp_path, sign_in):
    load_community(store, sample.load_raw())
    app = create_app(HubSettings(data_dir=tmp_path / "data"), store=store, start_bridge=False, clock=store.clock)
    with TestClient(app) as test_client:
        sign_in(test_client, store, role="admin", scope="440400")
        yield test_client


def test_health_and_openapi(client):
    body = client.get("/api/health").json()
    assert body["status"] == "ok" and body["db_ok"] and body["broker"] == "disabled"
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/records", "/api/devices/{device_id}/messages", "/api/photos/{sha256}"} <= set(paths)


def test_devices(client, store, device):
    ingest_batch([raw(device.heartbeat(outbox_depth=4))], store)
    [listed] = client.get("/api/devices").json()
    assert listed["id"] == device.id and listed["outbox_depth"] == 4 and listed["state"] == "online"
    assert client.get(f"/api/devices/{device.id}").json()["app_version"] == "1.2.3"
    assert client.get("/api/devices?state=offline").json() == []
    assert client.get("/api/devices/nobody-here").status_code == 404


def test_records_filter_and_pagination(client, store):
    a, b = Device("kiosk-aaa"), Device("kiosk-bbb")
    ingest_batch([raw(a.report("甲")) for _ in range(5)] + [raw(b.report("乙"))], store)
    page = client.get("/api/records", params={"device_id": a.id, "limit": 3}).json()
    assert len(page["items"]) == 3 and page["next_cursor"]
    rest = client.get("/api/records", params={"device_id": a.id, "limit": 3, "cursor": page["next_cursor"]}).json()
    assert len(rest["items"]) == 2 and rest["next_cursor"] is None
    seqs = [r["seq"] for r in page["items"] + rest["items"]]
    assert sorted(seqs) == [1, 2, 3, 4, 5]
    one = client.get(f"/api/records/{page['items'][0]['id']}").json()
    assert one["payload"]["note"] == "甲" and one["kind"] == "report"
    assert len(client.get("/api/records", params={"kind": "report"}).json()["items"]) == 6
    assert client.get("/api/records", params={"since": "2024-06-01T08:00:00+00:00"}).json()["items"]
    assert client.get("/api/records", params={"until": "2024-06-01T08:00:00+00:00"}).json()["items"] == []
    assert client.get("/api/records", params={"cursor": "garbage"}).status_code == 400
    assert client.get("/api/records", params={"limit": 0}).status_code == 422
    assert client.get("/api/records/0190a000-0000-7000-8000-000000000000").status_code == 404


def test_photo_download(client, store, device):
    png = b"\x89PNG\r\n\x1a\n" + os.urandom(3000)
    chunks = device.photo_chunks(png, chunk=1024)
    ingest_batch([raw(c) for c in chunks], store)
    response = client.get(f"/api/photos/{chunks[0].sha256}")
    assert response.status_code == 200 and response.content == png
    assert response.headers["content-type"] == "image/png"
    assert client.get(f"/api/photos/{'0' * 64}").status_code == 404
    assert client.get("/api/photos/not-a-hash").status_code == 422


def test_dead_letters(client, store, device):
    ingest_batch([RawMessage(f"gridline/v1/dev/{device.id}/up/report", b"\x00\x01garbage", T0)], store)
    [letter] = client.get("/api/dead-letters").json()
    assert letter["reason"] == "not_json" and letter["device_id"] == device.id
    assert base64.b64decode(letter["payload_base64"]) == b"\x00\x01garbage"
    assert client.get("/api/dead-letters", params={"reason": "conflict"}).json() == []


def test_messages_queue_and_list(client, store, device):
    body = {"title": "走访独居老人", "text": "", "grid_code": None, "published_at": "2024-06-01T08:00:00Z"}
    created = client.post(f"/api/devices/{device.id}/messages", json={"kind": "notice", "body": body, "ttl_s": 3600})
    assert created.status_code == 201
    message = created.json()
    assert message["state"] == "queued" and message["body"] == body
    assert message["expires_at"].startswith("2024-06-01T09:00:00")
    listed = client.get(f"/api/devices/{device.id}/messages").json()
    assert [m["id"] for m in listed] == [message["id"]]
    ingest_batch([raw(device.confirm(message["id"], "read"))], store)
    assert client.get(f"/api/devices/{device.id}/messages").json()[0]["state"] == "read"


@pytest.mark.parametrize("payload", [
    {"kind": "Task!", "body": {}},
    {"kind": "task", "body": {}, "ttl_s": 10, "expires_at": "2030-01-01T00:00:00+00:00"},
    {"kind": "task", "body": {}, "expires_at": "2020-01-01T00:00:00+00:00"},
    {"kind": "task", "body": {"blob": "x" * 300_000}},
    {"kind": "task", "body": {}, "surprise": 1},
])
def test_bad_messages_are_refused(client, device, payload):
    assert client.post(f"/api/devices/{device.id}/messages", json=payload).status_code == 422


def test_message_to_invalid_device_id_is_refused(client):
    assert client.post("/api/devices/BAD ID/messages", json={"kind": "task"}).status_code == 422


def test_hub_start_installs_the_default_taxonomy_without_undoing_admin_edits(store, tmp_path):
    import sqlalchemy as sa

    from hub.org.taxonomy import default_taxonomy, list_categories
    from hub.store.tables import categories

    settings = HubSettings(data_dir=tmp_path / "data")
    with TestClient(create_app(settings, store=store, start_bridge=False, clock=store.clock)):
        pass
    codes = {c.code for c in list_categories(store)}
    assert codes == {c.code for c in default_taxonomy()}
    with store.engine.begin() as conn:  # an admin retires one category and renames another
        conn.execute(sa.update(categories).where(categories.c.code == "E0101").values(enabled=False))
        conn.execute(sa.update(categories).where(categories.c.code == "C0101").values(name_zh="井盖（供水）"))
    with TestClient(create_app(settings, store=store, start_bridge=False, clock=store.clock)):
        pass
    after = {c.code: c for c in list_categories(store)}
    assert not after["E0101"].enabled and after["C0101"].name_zh == "井盖（供水）"
