"""A world for the triage, control-room, alarm and assignee APIs (SQLite and PostgreSQL): the sample community 福石
(five grids, each with a grid leader who has a phone) and 翠微 beside it on the same street, whose one grid has
no grid leader; control-room operators linked to people at the community, the street and the city; reports that
enter through the real ingest and intake (routed by the grids' outlines)."""
from __future__ import annotations

import hashlib
import itertools

import pytest
from fastapi.testclient import TestClient

from hub import sample
from hub.app import create_app
from hub.cases import CaseService
from hub.cases.intake import CaseIntake
from hub.mqtt.ingest import ingest_batch
from hub.org.geojson_io import load_community
from hub.org.repo import DeviceBinding, Person, Unit, save_device_bindings, save_people, save_units
from hub.settings import HubSettings
from protocol import IncidentReport, Position, Severity, uuid7
from tests.hub.conftest import T0, raw

CITY, STREET = "440400", "440402004"
FUSHI, CUIWEI = "440402004005", "440402004006"
GRID = {n: f"{FUSHI}00{n}" for n in range(1, 6)}
CUIWEI_GRID = f"{CUIWEI}001"  # no grid leader
# 翠微's one grid: a square north of 福石 (22.26-22.27, 113.52-113.53)
CUIWEI_OUTLINE = {"type": "Polygon", "coordinates": [[[113.52, 22.26], [113.53, 22.26], [113.53, 22.27],
                                                      [113.52, 22.27], [113.52, 22.26]]]}
STAFF = [Person("p-disp-fs", "福石调度员", "dispatcher", FUSHI),
         Person("p-disp-cw", "翠微调度员", "dispatcher", CUIWEI),
         Person("p-sup-st", "街道督办员", "supervisor", STREET),
         Person("p-disp-city", "市指挥中心", "dispatcher", CITY),
         Person("p-hand-fs", "社区处置员", "handler", FUSHI, "phone-fs-hand"),
         Person("p-worker-cw", "翠微网格员", "grid_worker", CUIWEI_GRID, "phone-cw-worker"),
         Person("p-nophone-02", "二网格志愿者（无手机）", "patrol_volunteer", f"{FUSHI}002")]

# Places (lat, lon, accuracy_m) the router sorts as the name says.
INSIDE_2 = (22.250, 113.5247, 5.0)  # the middle of grid 2
STRADDLE_1_2 = (22.247, 113.52325, 30.0)  # on the boundary of grids 1 and 2
WEST_OF_FUSHI = (22.250, 113.5185, 5.0)  # ~155 m west of grid 1: the nearest community, no grid
FAR_AWAY = (22.100, 113.300, 5.0)  # kilometres from everything
INSIDE_CUIWEI = (22.265, 113.525, 5.0)


@pytest.fixture
def world(store, clock):
    load_community(store, sample.load_raw(), clock=clock)
    with store.write() as conn:
        save_units(conn, [Unit(CUIWEI, "community", "翠微社区", STREET, abbr="CW"),
                          Unit(CUIWEI_GRID, "grid", "翠微一网格", CUIWEI, CUIWEI_OUTLINE)], clock())
        save_people(conn, STAFF)
        save_device_bindings(conn, [DeviceBinding("kiosk-cw-01", "kiosk", CUIWEI_GRID),
                                    DeviceBinding("phone-fs-hand", "phone", FUSHI, "p-hand-fs")])
    return CaseService(store, clock=clock)


@pytest.fixture
def client(store, tmp_path, clock, world):
    app = create_app(HubSettings(data_dir=tmp_path / "data"), store=store, start_bridge=False, clock=clock)
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def operators(client, store, sign_in):
    """person id → Authorization header of a control-room account linked to them (scoped to their unit)."""
    scopes = {"p-disp-fs": FUSHI, "p-disp-cw": CUIWEI, "p-sup-st": STREET, "p-disp-city": CITY}
    headers = {}
    for person, scope in scopes.items():
        role = "supervisor" if person == "p-sup-st" else "dispatcher"
        token = sign_in(client, store, role=role, scope=scope, person=person, username=f"op-{person}",
                        set_default=False)
        headers[person] = {"Authorization": f"Bearer {token}"}
    headers["viewer"] = {"Authorization": "Bearer " + sign_in(client, store, role="viewer", scope=FUSHI,
                                                               person="p-disp-fs", set_default=False)}
    headers["unlinked"] = {"Authorization": "Bearer " + sign_in(client, store, role="dispatcher", scope=FUSHI,
                                                                 set_default=False)}
    return headers


SEQ = itertools.count(1)


def report(store, service, place, *, category="E0101", severity="normal", device="kiosk-fs-01",
           note="现场问题") -> str:
    """A kiosk's report through ingest and the case intake (routed by the grids); returns its case id."""
    lat, lon, acc = place
    message = IncidentReport(id=uuid7(), device_id=device, seq=next(SEQ), created_at=T0, category=category,
                             note=note, severity=Severity(severity),
                             position=Position(lat=lat, lon=lon, accuracy_m=acc))
    ingest_batch([raw(message)], store)
    intake = CaseIntake(store, service)
    record = store.get_record(message.id)
    assert record is not None
    return service.open_case_from_report(record, intake.route(record)).case.id


def png(seed: str) -> bytes:
    return b"\x89PNG\r\n\x1a\n" + hashlib.sha256(seed.encode()).digest() * 64
