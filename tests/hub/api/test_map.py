"""The control-room map API: grids with their case load (only cases that still need work colour a grid; suspended
and awaiting-check ones are counted apart; closed and not-filed ones never), pins with their phase, names for every
code and labelled photos, terminals with tails, people - and only inside the signed-in operator's community."""
from __future__ import annotations

import itertools
import re

import pytest
from fastapi.testclient import TestClient

from hub import sample
from hub.api import map as map_api
from hub.app import create_app
from hub.cases import CaseService, states
from hub.cases.intake import CaseIntake
from hub.mqtt.ingest import ingest_batch
from hub.org.taxonomy import install_taxonomy
from hub.settings import HubSettings
from protocol import IncidentReport, PhotoRef, Position, Severity, uuid7
from tests.hub.api.dashboard_fixtures import (
    FUSHI,
    OTHER,
    OTHER_GRID,
    load_two_communities,
    open_cases,
    report_positions,
    sign_in,
)
from tests.hub.conftest import T0, raw

pytest_plugins = ["tests.hub.api.dashboard_fixtures"]  # the dashboard fixture

GRID1 = FUSHI + "001"


def test_every_map_route_needs_sign_in(dashboard):
    for path in ("/api/map/config", "/api/map/grids", "/api/map/cases", "/api/map/devices", "/api/map/people",
                 "/api/live/recent"):
        assert dashboard.get(path).status_code == 401, path


def test_grids_carry_open_load_and_stay_in_scope(dashboard, store):
    mine, theirs = open_cases(store)
    sign_in(dashboard, "fushi")
    grids = dashboard.get("/api/map/grids").json()
    codes = {f["properties"]["code"]: f["properties"] for f in grids["features"]}
    assert len(codes) == 5 and OTHER_GRID not in codes
    assert codes[GRID1]["open"] == 1 and codes[GRID1]["max_level"] in ("blue", "yellow", "red")
    assert codes[FUSHI + "002"]["open"] == 0 and codes[FUSHI + "002"]["max_level"] is None
    assert grids["features"][0]["geometry"]["type"] == "Polygon"

    pins = dashboard.get("/api/map/cases").json()
    assert [p["id"] for p in pins] == [mine]
    assert pins[0]["lat"] and pins[0]["title"] == "垃圾堆积"

    sign_in(dashboard, "wanzai")
    assert [p["id"] for p in dashboard.get("/api/map/cases").json()] == [theirs]
    assert [f["properties"]["code"] for f in dashboard.get("/api/map/grids").json()["features"]] == [OTHER_GRID]


def test_devices_with_presence_and_short_tails(dashboard, store):
    points = [(22.245 + i * 0.0001, 113.531) for i in range(12)]
    report_positions(store, "tablet-wz-01", points)
    report_positions(store, "tablet-fs-01", [(22.25, 113.521)])
    sign_in(dashboard, "wanzai")
    body = dashboard.get("/api/map/devices").json()
    assert [d["id"] for d in body["devices"]] == ["tablet-wz-01"]  # not the sample's terminals
    tablet = body["devices"][0]
    assert tablet["kind"] == "tablet" and tablet["state"] == "online"
    assert len(tablet["tail"]) == 8 and tablet["tail"][-1][:2] == [points[-1][0], points[-1][1]]  # newest last
    sign_in(dashboard, "fushi")
    ids = {d["id"] for d in dashboard.get("/api/map/devices").json()["devices"]}
    assert "tablet-fs-01" in ids and "kiosk-fs-01" in ids and "tablet-wz-01" not in ids


def test_people_and_config(dashboard):
    sign_in(dashboard, "wanzai")
    assert [p["id"] for p in dashboard.get("/api/map/people").json()] == ["p-disp-wz"]
    config = dashboard.get("/api/map/config").json()
    assert config["tile_crs"] == "gcj02" and config["tile_url"].startswith("https://") and config["scope_code"]


# -- what the map counts, and the names it carries ----------------------------------------------------------
BEFORE, BEFORE_URGENT, AFTER = "b1" * 32, "b2" * 32, "a1" * 32
REFERENCE = re.compile(r"^[A-Z]+-\d{8}-\d{4}$")
SEQ = itertools.count(1)


def report_case(store, service: CaseService, lat: float, lon: float, category: str, *, severity: str = "normal",
                photos: tuple[str, ...] = ()) -> str:
    """A kiosk's report through ingest and the case intake (routed by the grids); its case id."""
    message = IncidentReport(id=uuid7(), device_id="kiosk-fs-01", seq=next(SEQ), created_at=T0, category=category,
                             note="现场问题", severity=Severity(severity), position=Position(lat=lat, lon=lon,
                                                                                              accuracy_m=5),
                             photos=[PhotoRef(sha256=sha, size=2048, chunks=2) for sha in photos])
    ingest_batch([raw(message)], store)
    record = store.get_record(message.id)
    assert record is not None
    return service.open_case_from_report(record, CaseIntake(store, service).route(record)).case.id


def walk(service: CaseService, case_id: str, *steps: tuple[str, str, dict]) -> None:
    for transition, actor, extra in steps:
        service.transition(case_id, transition, actor, **extra)


FILE_DISPATCH = (("file", "p-disp-fs", {}), ("dispatch", "p-disp-fs", {"assignee": "p-lead-01"}))
RESOLVE = (("accept", "p-lead-01", {}), ("arrive", "p-lead-01", {}),
           ("resolve", "p-lead-01", {"note": "已清理", "evidence": [AFTER], "position": (22.25, 113.5216, 5.0)}))


@pytest.fixture
def staged(store, tmp_path):
    """Cases in grid 001 in every phase - open (dispatched, blue), awaiting check (resolved, red: an urgent report),
    suspended, closed, not filed - and one in the neighbour community; staged before the hub starts (its jobs
    leave them be), then the dashboard API."""
    load_two_communities(store)
    install_taxonomy(store)
    service = CaseService(store, clock=store.clock)
    lon, lat = sample.grids()[0].centre()
    ids = {"open": report_case(store, service, lat - 0.004, lon, "E0101", photos=(BEFORE,)),
           "check": report_case(store, service, lat - 0.002, lon, "E0102", severity="urgent", photos=(BEFORE_URGENT,)),
           "suspended": report_case(store, service, lat, lon, "E0103"),
           "closed": report_case(store, service, lat + 0.002, lon, "E0201"),
           "not_filed": report_case(store, service, lat + 0.004, lon, "E0202")}
    walk(service, ids["open"], *FILE_DISPATCH)
    walk(service, ids["check"], *FILE_DISPATCH, *RESOLVE)
    walk(service, ids["suspended"], ("file", "p-disp-fs", {}), ("suspend", "p-disp-fs", {"reason": "等待配件"}))
    walk(service, ids["closed"], *FILE_DISPATCH, *RESOLVE, ("verify", "p-disp-fs", {}), ("close", "p-disp-fs", {}))
    walk(service, ids["not_filed"], ("not_file", "p-disp-fs", {"reason": "不属于受理范围"}))
    ids["theirs"] = service.open_case("src-wanzai-1", "E0101", grid_code=OTHER_GRID, community_code=OTHER,
                                      title="湾仔的案件", position=(22.247, 113.532, 5.0)).case.id
    app = create_app(HubSettings(data_dir=tmp_path / "data", map_tile_url="", map_tile_crs="wgs84"),
                     store=store, start_bridge=False, clock=store.clock)
    with TestClient(app) as client:
        yield client, ids


def test_only_cases_that_need_work_colour_a_grid(staged):
    client, ids = staged
    sign_in(client, "fushi")
    pins = {p["id"]: p for p in client.get("/api/map/cases").json()}
    assert set(pins) == {ids["open"], ids["check"], ids["suspended"]}  # closed and not filed are not drawn
    assert {pins[ids[k]]["phase"] for k in ("open", "check", "suspended")} == {"open", "check", "suspended"}
    assert [pins[ids[k]]["phase"] for k in ("open", "check", "suspended")] == ["open", "check", "suspended"]
    assert pins[ids["check"]]["level"] == "red" and pins[ids["open"]]["level"] == "blue"
    assert not pins[ids["check"]]["overdue"] and not pins[ids["suspended"]]["overdue"]

    grids = {f["properties"]["code"]: f["properties"] for f in client.get("/api/map/grids").json()["features"]}
    one = grids[GRID1]
    # The resolved red case waits for its check: counted apart, it does not turn the grid red.
    assert (one["open"], one["max_level"], one["by_level"]) == (1, "blue", {"blue": 1})
    assert (one["awaiting_check"], one["suspended"], one["overdue"]) == (1, 1, 0)
    assert all((g["open"], g["awaiting_check"], g["suspended"], g["max_level"]) == (0, 0, 0, None)
               for code, g in grids.items() if code != GRID1)


def test_pins_and_grids_carry_names_references_and_labelled_photos(staged):
    client, ids = staged
    sign_in(client, "fushi")
    pins = {p["id"]: p for p in client.get("/api/map/cases").json()}
    grid1 = sample.grids()[0]
    opened, resolved = pins[ids["open"]], pins[ids["check"]]
    assert REFERENCE.match(opened["reference"]) and opened["reference"] != resolved["reference"]
    assert (opened["category_code"], opened["category_zh"], opened["category_en"]) == ("E0101", "暴露垃圾",
                                                                                       "Exposed garbage")
    assert (opened["grid_code"], opened["grid_name"]) == (grid1.code, grid1.name)
    assert opened["community_name"] == "福石社区" and opened["assignee_name"] == "网格长陈"
    assert (opened["photos_before"], opened["photos_after"]) == ([BEFORE], [])
    assert (resolved["photos_before"], resolved["photos_after"]) == ([BEFORE_URGENT], [AFTER])
    assert pins[ids["suspended"]]["assignee_name"] is None

    props = {f["properties"]["code"]: f["properties"] for f in client.get("/api/map/grids").json()["features"]}
    assert props[GRID1]["name"] == grid1.name and props[GRID1]["parent_name"] == "福石社区"
    devices = {d["id"]: d for d in client.get("/api/map/devices").json()["devices"]}
    assert devices["kiosk-fs-01"]["unit_name"] == grid1.name

    # The feed's items: names with the codes; the report's photos apart from a resolution's evidence.
    feed = [i for i in client.get("/api/live/recent?limit=200").json() if i["case_id"] == ids["check"]]
    assert feed[0]["transition"] == "report"
    assert {i["reference"] for i in feed} == {resolved["reference"]}
    assert {i["grid_name"] for i in feed} == {grid1.name} and {i["community_name"] for i in feed} == {"福石社区"}
    assert all(i["report_photos"] == [BEFORE_URGENT] for i in feed)
    resolve = next(i for i in feed if i["transition"] == "resolve")
    assert resolve["evidence_photos"] == [AFTER] and resolve["actor_name"] == "网格长陈"
    dispatch = next(i for i in feed if i["transition"] == "dispatch")
    assert dispatch["assignee_name"] == "网格长陈" and dispatch["evidence_photos"] == []


def test_scope_bounds_pins_counts_and_feed(staged):
    client, ids = staged
    sign_in(client, "wanzai")
    assert [p["id"] for p in client.get("/api/map/cases").json()] == [ids["theirs"]]
    grids = client.get("/api/map/grids").json()["features"]
    assert [(f["properties"]["code"], f["properties"]["open"]) for f in grids] == [(OTHER_GRID, 1)]
    assert {i["case_id"] for i in client.get("/api/live/recent?limit=200").json()} == {ids["theirs"]}
    sign_in(client, "fushi")
    assert ids["theirs"] not in {p["id"] for p in client.get("/api/map/cases").json()}
    assert ids["theirs"] not in {i["case_id"] for i in client.get("/api/live/recent?limit=200").json()}


def test_every_state_the_map_draws_has_a_phase():
    assert set(map_api.OPEN_STATES) == set(states.OPEN) | {"suspended"}
    assert set(map_api.PHASES.values()) == {"open", "suspended", "check"}
    assert not set(map_api.OPEN_STATES) & states.TERMINAL
