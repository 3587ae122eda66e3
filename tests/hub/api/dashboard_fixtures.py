"""Two communities for the dashboard tests: the sample 福石 community and a neighbour (湾仔), with one
operator each, cases in both, a patrol tablet reporting positions."""
from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from hub import sample
from hub.app import create_app
from hub.auth.operators import OperatorDirectory
from hub.cases import CaseService
from hub.mqtt.ingest import ingest_batch
from hub.org.geojson_io import load_community
from hub.org.repo import DeviceBinding, Person, Unit, save_device_bindings, save_people, save_units
from hub.settings import HubSettings
from protocol import Position, PositionFix, uuid7

from ..conftest import T0, raw

PASSWORD = "Grid-line-2026!"
FUSHI, OTHER = "440402004005", "440402004006"
OTHER_GRID = OTHER + "001"


def load_two_communities(store) -> None:
    load_community(store, sample.load_raw())
    ring = [[113.53, 22.244], [113.534, 22.244], [113.534, 22.25], [113.53, 22.25], [113.53, 22.244]]
    with store.write() as conn:
        save_units(conn, [Unit(OTHER, "community", "湾仔社区", "440402004"),
                          Unit(OTHER_GRID, "grid", "湾仔一网格", OTHER, {"type": "Polygon", "coordinates": [ring]})],
                   store.clock())
        save_people(conn, [Person("p-disp-fs", "福石调度员", "dispatcher", FUSHI),
                           Person("p-disp-wz", "湾仔调度员", "dispatcher", OTHER)])
        save_device_bindings(conn, [DeviceBinding("tablet-wz-01", "tablet", OTHER_GRID)])
    ops = OperatorDirectory(store, clock=store.clock)
    ops.create("fushi", PASSWORD, role="dispatcher", scope_code=FUSHI, person_id="p-disp-fs")
    ops.create("wanzai", PASSWORD, role="dispatcher", scope_code=OTHER, person_id="p-disp-wz")


def open_cases(store) -> tuple[str, str]:
    service = CaseService(store, clock=store.clock)
    grid1 = sample.grids()[0]
    lon, lat = grid1.centre()
    mine = service.open_case("src-fushi-1", "E0101", grid_code=grid1.code, community_code=FUSHI, title="垃圾堆积",
                             position=(lat, lon, 5.0)).case.id
    theirs = service.open_case("src-wanzai-1", "E0101", grid_code=OTHER_GRID, community_code=OTHER,
                               title="湾仔的案件", position=(22.247, 113.532, 5.0)).case.id
    return mine, theirs


def position_fix(device_id: str, seq: int, lat: float, lon: float, seconds: float = 0) -> PositionFix:
    return PositionFix(id=uuid7(), device_id=device_id, seq=seq, created_at=T0 + timedelta(seconds=seconds),
                       position=Position(lat=lat, lon=lon, accuracy_m=5))


def report_positions(store, device_id: str, points: list[tuple[float, float]], first_seq: int = 1) -> None:
    ingest_batch([raw(position_fix(device_id, first_seq + i, lat, lon, i)) for i, (lat, lon) in enumerate(points)],
                 store)


@pytest.fixture
def dashboard(store, tmp_path):
    load_two_communities(store)
    app = create_app(HubSettings(data_dir=tmp_path / "data", map_tile_url="https://t{s}.example/{z}/{x}/{y}.png",
                                 map_tile_crs="gcj02"),
                     store=store, start_bridge=False, clock=store.clock)
    with TestClient(app) as client:
        yield client


def sign_in(client: TestClient, username: str) -> None:
    client.cookies.clear()
    assert client.post("/api/auth/login", json={"username": username, "password": PASSWORD}).status_code == 200
