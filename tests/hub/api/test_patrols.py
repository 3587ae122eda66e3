"""``GET /api/patrols``: the PatrolLog records tablets send when a patrol ends, stored and receipted through the
ordinary record path, read back scoped to the operator's units (SQLite and PostgreSQL)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from hub import sample
from hub.app import create_app
from hub.mqtt.ingest import ingest_batch
from hub.org.geojson_io import load_community
from hub.settings import HubSettings
from protocol import PatrolLog, uuid7
from tests.hub.conftest import T0, Device, raw

GRID_1, GRID_2 = "440402004005001", "440402004005002"


def patrol(device: Device, minutes: float, metres: float, grid: str) -> PatrolLog:
    device.seq += 1
    end = T0 + timedelta(minutes=minutes)
    return PatrolLog(id=uuid7(), device_id=device.id, seq=device.seq, created_at=end, started_at=T0, ended_at=end,
                     distance_m=metres, fixes=int(minutes * 6), skipped=2, grid_code=grid)


@pytest.fixture
def app(store, tmp_path):
    load_community(store, sample.load_raw())
    return create_app(HubSettings(data_dir=tmp_path / "data"), store=store, start_bridge=False, clock=store.clock)


def test_patrols_are_stored_receipted_and_listed_within_scope(app, store, sign_in):
    one, two = Device("tablet-fs-01"), Device("tablet-fs-02")
    logs = [patrol(one, 42, 2315.4, GRID_1), patrol(two, 30, 1200.0, GRID_2), patrol(one, 15, 640.5, GRID_1)]
    result = ingest_batch([raw(m) for m in logs] + [raw(one.report("不是巡逻"))], store)
    assert result.stored_records == 4
    assert set(result.devices["tablet-fs-01"].committed) >= {logs[0].id, logs[2].id}  # the receipt names them
    assert ingest_batch([raw(logs[0])], store).duplicate_records == 1  # a resend is stored once

    with TestClient(app) as client:
        sign_in(client, store, role="viewer")  # the community: both grids
        body = client.get("/api/patrols").json()
        # one batch: one receive time, so (received_at, id) order is id order
        assert [p["id"] for p in body["items"]] == sorted(m.id for m in logs) and body["next_cursor"] is None
        first = next(p for p in body["items"] if p["id"] == logs[0].id)
        assert first["device_id"] == "tablet-fs-01" and first["unit_code"] == GRID_1
        assert first["volunteer_id"] == "p-patrol-01" and first["grid_code"] == GRID_1
        assert first["duration_s"] == 42 * 60 and first["distance_m"] == 2315.4
        assert (first["fixes"], first["skipped"]) == (252, 2)
        assert [p["device_id"] for p in client.get("/api/patrols", params={"unit": GRID_2}).json()["items"]] \
            == ["tablet-fs-02"]
        page = client.get("/api/patrols", params={"limit": 2}).json()
        rest = client.get("/api/patrols", params={"limit": 2, "cursor": page["next_cursor"]}).json()
        assert [p["id"] for p in page["items"] + rest["items"]] == sorted(m.id for m in logs)
        assert client.get("/api/patrols", params={"cursor": "garbage"}).status_code == 400

        sign_in(client, store, role="dispatcher", scope=GRID_2)  # one grid: only its tablet's patrols
        assert [p["device_id"] for p in client.get("/api/patrols").json()["items"]] == ["tablet-fs-02"]
        assert client.get("/api/patrols", params={"unit": GRID_1}).json()["items"] == []  # not theirs: empty
        assert client.get("/api/patrols", params={"device_id": "tablet-fs-01"}).json()["items"] == []

        client.headers.pop("Authorization")
        client.cookies.clear()
        assert client.get("/api/patrols").status_code == 401


def test_a_patrol_ending_before_it_began_is_refused_by_the_protocol():
    with pytest.raises(ValueError, match="cannot end before it started"):
        PatrolLog(id=uuid7(), device_id="tablet-fs-01", seq=1, created_at=T0, started_at=T0,
                  ended_at=T0 - timedelta(seconds=1), distance_m=0, fixes=0)
