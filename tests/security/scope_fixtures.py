"""Fixtures of the scope tests in tests/security (issue 14 items 1, 2, 3, 5, 9; imported explicitly by the test
modules, there is no conftest.py here): a migrated store on SQLite and PostgreSQL (``db_url``) holding the sample
community 福石社区 (city 440400 → district 440402 → street 440402004 → community 440402004005 → grids ...001-005)
and its neighbour 翠微社区, a photo uploaded by a kiosk of each of three grids, a case in 福石's grid 1, and the
API over that store (TestClient; accounts sign in through POST /api/auth/login and act with Bearer tokens)."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hub import sample
from hub.app import create_app
from hub.auth.operators import OperatorDirectory
from hub.cases import CaseService
from hub.mqtt.ingest import ingest_batch
from hub.org.geojson_io import load_community
from hub.org.repo import DeviceBinding, Person, Unit, save_device_bindings, save_people, save_units
from hub.org.routing import RouteResult
from hub.org.taxonomy import install_taxonomy
from hub.settings import HubSettings
from hub.store import HubStore
from hub.store.rows import RecordRow
from protocol import uuid7
from tests.hub.conftest import Clock, Device, raw

PASSWORD = "Grid-line-2026!"
CITY, DISTRICT, STREET = "440400", "440402", "440402004"
FUSHI, GRID1, GRID2, GRID3 = "440402004005", "440402004005001", "440402004005002", "440402004005003"
CUIWEI, CUIWEI_GRID = "440402004006", "440402004006001"
CATEGORY = "E0101"  # in the default taxonomy
T0 = datetime(2024, 6, 3, 1, 0, tzinfo=UTC)  # Monday 09:00 in Beijing


@dataclass(frozen=True)
class World:
    case: str  # a reported case in 福石 grid 1 (its report: kiosk-fs-01, with photo grid1_photo)
    grid1_photo: str  # uploaded by kiosk-fs-01 (grid 1)
    grid2_photo: str  # uploaded by kiosk-fs-02 (grid 2)
    cuiwei_photo: str  # uploaded by kiosk-cw-01 (翠微)


def store_photo(store: HubStore, device_id: str, seed: str) -> str:
    """A photo as ``device_id`` uploads it (chunks through ingest); its sha256."""
    data = b"\x89PNG\r\n\x1a\n" + hashlib.sha256(seed.encode()).digest() * 40
    chunks = Device(device_id).photo_chunks(data)
    ingest_batch([raw(c) for c in chunks], store)
    return chunks[0].sha256


def report_case(service: CaseService, clock: Clock, device: str, photo: str, grid: str | None, community: str | None,
                lat: float = 22.25) -> str:
    """A case opened from ``device``'s report citing ``photo``."""
    body = json.dumps({"category": CATEGORY, "note": "路面坑洞",
                       "position": {"lat": lat, "lon": 113.52, "accuracy_m": 5.0}, "photos": [{"sha256": photo}]})
    record = RecordRow(uuid7(), device, 1, "report", body, hashlib.sha256(body.encode()).hexdigest(), clock(), clock())
    route = RouteResult(grid, community, 1.0, False, "inside" if grid else "community_fallback")
    return service.open_case_from_report(record, route).case.id


@pytest.fixture
def scope_clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def scope_store(db_url: str, tmp_path: Path, scope_clock: Clock) -> Iterator[HubStore]:
    store = HubStore(db_url, tmp_path / "data", clock=scope_clock, dead_letter_cap=1024)
    store.migrate()
    yield store
    store.close()


@pytest.fixture
def scope_world(scope_store: HubStore, scope_clock: Clock) -> World:
    store = scope_store
    load_community(store, sample.load_raw(), clock=scope_clock)
    install_taxonomy(store)
    with store.write() as conn:
        save_units(conn, [Unit(CUIWEI, "community", "翠微社区", STREET),
                          Unit(CUIWEI_GRID, "grid", "翠微一网格", CUIWEI)], scope_clock())
        save_people(conn, [Person("p-disp-g1", "一网格调度员", "dispatcher", GRID1),
                           Person("p-handler-fs", "福石处置员", "handler", FUSHI),
                           Person("p-sup-fs", "福石督查员", "supervisor", FUSHI),
                           Person("p-sup2-fs", "福石督查员乙", "supervisor", FUSHI),
                           Person("cw-lead", "网格长翠", "grid_leader", CUIWEI_GRID)])
        save_device_bindings(conn, [DeviceBinding("kiosk-cw-01", "kiosk", CUIWEI_GRID)])
    grid1_photo = store_photo(store, "kiosk-fs-01", "grid 1")
    case_id = report_case(CaseService(store, clock=scope_clock), scope_clock, "kiosk-fs-01", grid1_photo, GRID1, FUSHI)
    return World(case=case_id, grid1_photo=grid1_photo, grid2_photo=store_photo(store, "kiosk-fs-02", "grid 2"),
                 cuiwei_photo=store_photo(store, "kiosk-cw-01", "翠微"))


@pytest.fixture
def scope_client(scope_store: HubStore, scope_world: World, tmp_path: Path, scope_clock: Clock) -> Iterator[TestClient]:
    settings = HubSettings(data_dir=tmp_path / "data", auto_dispatch=False)  # the tests move the case themselves
    app = create_app(settings, store=scope_store, start_bridge=False, clock=scope_clock)
    with TestClient(app) as client:
        yield client


def account(client: TestClient, store: HubStore, username: str, *, role: str, scope: str,
            person: str | None = None) -> dict[str, str]:
    """Create an account and sign it in; the Bearer header to act as it (the client keeps no cookie, so one
    client acts as several accounts)."""
    OperatorDirectory(store, clock=store.clock).create(username, PASSWORD, role=role, scope_code=scope,
                                                       person_id=person)
    client.cookies.clear()
    response = client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    client.cookies.clear()
    return {"Authorization": f"Bearer {response.json()['token']}"}


def operator_id(client: TestClient, headers: dict[str, str]) -> str:
    found: str = client.get("/api/auth/me", headers=headers).json()["id"]
    return found
