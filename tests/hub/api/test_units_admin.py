"""The units admin API over a real store (SQLite and PostgreSQL): the tree within the admin's scope, new buildings
with the next serial, renames, outlines refused when they overlap a sibling grid (the overlap's geometry in the
answer), gaps reported, routing following an edited outline at once, GeoJSON import with GCJ-02 converted, export
that imports back unchanged, and another community's admin seeing and touching nothing (404)."""
from __future__ import annotations

import copy

import pytest
from fastapi.testclient import TestClient
from shapely.geometry import Point, shape

from hub import sample
from hub.app import create_app
from hub.auth.access_log import AccessLog
from hub.auth.operators import OperatorDirectory
from hub.jobs.wakeup import ring_jobs
from hub.org.datums import wgs84_to_gcj02
from hub.org.repo import get_unit
from hub.settings import HubSettings
from tests.hub.api.dashboard_fixtures import FUSHI, OTHER, OTHER_GRID, PASSWORD, load_two_communities, sign_in
from tests.hub.conftest import wait_until

GRID1, GRID2 = FUSHI + "001", FUSHI + "002"
MOVED = [113.5250, 22.25]  # the shared middle vertex of grids 1 and 2, moved east into grid 2
PROBE = (22.25, 113.5244)  # in grid 2 before the edit, in grid 1 after


@pytest.fixture
def client(store, tmp_path):
    load_two_communities(store)
    ops = OperatorDirectory(store, clock=store.clock)
    ops.create("fsadmin", PASSWORD, role="admin", scope_code=FUSHI)
    ops.create("wzadmin", PASSWORD, role="admin", scope_code=OTHER)
    ops.create("cityadmin", PASSWORD, role="admin", scope_code="440400")
    app = create_app(HubSettings(data_dir=tmp_path / "data"), store=store, start_bridge=False, clock=store.clock)
    with TestClient(app, headers={"Origin": "http://testserver"}) as test_client:  # as the browser sends it
        yield test_client


def ring(code: str) -> list[list[float]]:
    feature = next(f for f in sample.load_raw()["grids"]["features"] if f["properties"]["code"] == code)
    return copy.deepcopy(feature["geometry"]["coordinates"][0])


def moved(points: list[list[float]], old: list[float], new: list[float]) -> dict:
    return {"type": "Polygon", "coordinates": [[new if p == old else p for p in points]]}


def test_tree_buildings_and_renames_stay_in_scope(client):
    sign_in(client, "fsadmin")
    units = {u["code"]: u for u in client.get("/api/units").json()}
    assert FUSHI in units and GRID1 in units and OTHER not in units and OTHER_GRID not in units
    assert units[GRID1]["geometry"]["type"] == "Polygon" and units[GRID1]["parent_code"] == FUSHI
    first = client.post("/api/units", json={"level": "building", "name": "福石花园 1 栋", "parent_code": GRID1})
    assert first.status_code == 201 and first.json()["code"] == GRID1 + "001"
    second = client.post("/api/units", json={"level": "building", "name": "2 栋", "parent_code": GRID1}).json()
    assert second["code"] == GRID1 + "002" and second["parent_code"] == GRID1
    named = client.post("/api/units", json={"level": "building", "name": "12 栋", "parent_code": GRID1,
                                            "code": GRID1 + "012"})
    assert named.status_code == 201
    assert client.post("/api/units", json={"level": "building", "name": "x", "parent_code": GRID1,
                                           "code": GRID1 + "012"}).status_code == 409
    wrong = client.post("/api/units", json={"level": "building", "name": "x", "parent_code": GRID1,
                                            "code": GRID2 + "001"})
    assert wrong.status_code == 422 and wrong.json()["detail"]["code"] == "invalid"
    assert client.post("/api/units", json={"level": "grid", "name": "x", "parent_code": GRID1}).status_code == 422
    assert client.patch(f"/api/units/{GRID1}001", json={"name": "福石花园一栋"}).json()["name"] == "福石花园一栋"
    exported = client.get("/api/units/export").json()  # the buildings go out with their grids and come back
    buildings = [h for h in exported["hierarchy"] if h["level"] == "building"]
    assert [(b["code"], b["parent"]) for b in buildings] == [(GRID1 + s, GRID1) for s in ("001", "002", "012")]
    again = client.post("/api/units/import", json=exported)
    assert again.status_code == 200 and again.json()["created"] == 0, again.text

    sign_in(client, "wzadmin")  # another community's admin: nothing of 福石, not even that it exists
    assert {u["code"] for u in client.get("/api/units").json()} == {OTHER, OTHER_GRID}
    assert client.patch(f"/api/units/{GRID1}", json={"name": "x"}).status_code == 404
    assert client.post("/api/units", json={"level": "building", "name": "x", "parent_code": GRID1}).status_code == 404
    geometry = {"type": "Polygon", "coordinates": [ring(GRID1)]}
    assert client.put(f"/api/units/{GRID1}/outline", json={"geometry": geometry}).status_code == 404
    assert client.get(f"/api/units/{GRID1}/outline-report").status_code == 404
    assert GRID1 not in client.get("/api/units/export").text
    sign_in(client, "fushi")  # a dispatcher: not an admin
    assert client.get("/api/units").status_code == 403


def test_outline_overlap_refused_gap_reported_and_routing_follows(client, store):
    sign_in(client, "fsadmin")
    intake = client.app.state.intake
    assert intake.router().route(*PROBE).grid_code == GRID2
    old = [113.5236, 22.25]

    grow_first = client.put(f"/api/units/{GRID1}/outline", json={"geometry": moved(ring(GRID1), old, MOVED)})
    assert grow_first.status_code == 409
    overlap = grow_first.json()["overlaps"][0]
    assert overlap["other"] == GRID2 and overlap["share"] > 0.01 and overlap["area_m2"] > 1000
    assert shape(overlap["geometry"]).contains(Point(PROBE[1], PROBE[0]))
    assert get_unit(store, GRID1).geometry["coordinates"][0] == ring(GRID1)  # unchanged

    shrink = client.put(f"/api/units/{GRID2}/outline", json={"geometry": moved(ring(GRID2), old, MOVED)})
    assert shrink.status_code == 200, shrink.text
    gaps = shrink.json()["gaps"]
    assert len(gaps) == 1 and shape(gaps[0]["geometry"]).contains(Point(PROBE[1], PROBE[0]))
    assert client.get(f"/api/units/{GRID1}/outline-report").json()["gaps"] == gaps

    grow = client.put(f"/api/units/{GRID1}/outline", json={"geometry": moved(ring(GRID1), old, MOVED)})
    assert grow.status_code == 200 and grow.json() == {"ok": True, "problem": None, "overlaps": [], "gaps": []}
    assert intake.router().route(*PROBE).grid_code == GRID1  # at once, not after the router's 30 s
    saves = AccessLog(store).query(route="/api/units/{code}/outline")  # every save and refusal is in the audit log
    assert [(e.method, e.status, e.resource_ids) for e in saves] == [
        ("PUT", 200, {"code": GRID1}), ("PUT", 200, {"code": GRID2}), ("PUT", 409, {"code": GRID1})]

    # Another worker's save reaches this one as a ring of the grids bell (relayed on PostgreSQL): its job drops the
    # cached router too.
    intake.router()
    ring_jobs(client.app.state, "grids")
    assert wait_until(lambda: intake._router_built == -float("inf"), 5)  # the grids job forgot the router

    bad = client.put(f"/api/units/{GRID1}/outline", json={"geometry": {"type": "Polygon", "coordinates": [
        [[113.52, 22.244], [113.53, 22.256], [113.52, 22.256], [113.53, 22.244], [113.52, 22.244]]]}})
    assert bad.status_code == 422 and "invalid polygon" in bad.json()["problem"]


def gcj_feature(code: str, name: str, wgs_ring: list[list[float]]) -> dict:
    shifted = [[round(x, 9) for x in wgs84_to_gcj02(lat, lon)[::-1]] for lon, lat in wgs_ring]
    return {"type": "Feature", "properties": {"code": code, "name": name, "community": code[:12]},
            "geometry": {"type": "Polygon", "coordinates": [shifted]}}


def test_import_converts_gcj02_checks_stored_siblings_and_stays_in_scope(client, store):
    sign_in(client, "fsadmin")
    new_grid = FUSHI + "006"
    south = [[113.52, 22.238], [113.5355, 22.238], [113.5355, 22.244], [113.52, 22.244], [113.52, 22.238]]
    body = {"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "GCJ-02"}},
            "features": [gcj_feature(new_grid, "福石六网格（南区）", south)]}
    answer = client.post("/api/units/import", json=body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["datum"] == "gcj02" and answer.json()["created"] == 1
    stored = get_unit(store, new_grid).geometry["coordinates"][0]
    assert max(abs(a - b) for p, q in zip(stored, south, strict=True) for a, b in zip(p, q, strict=True)) < 1e-6
    assert client.app.state.intake.router().route(22.241, 113.525).grid_code == new_grid

    over = [[113.52, 22.243], [113.53, 22.243], [113.53, 22.25], [113.52, 22.25], [113.52, 22.243]]
    clash = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": FUSHI + "007", "name": "重叠"},
         "geometry": {"type": "Polygon", "coordinates": [over]}}]}
    refused = client.post("/api/units/import", json=clash)
    assert refused.status_code == 422 and "overlap" in refused.text and get_unit(store, FUSHI + "007") is None
    unknown = client.post("/api/units/import", json={**clash, "coordinate_system": "EPSG:2385"})
    assert unknown.status_code == 422 and "EPSG:2385" in unknown.text

    exported = client.get("/api/units/export")
    assert exported.headers["content-type"].startswith("application/geo+json")
    collection = exported.json()
    assert {f["properties"]["code"] for f in collection["features"]} == {FUSHI + f"00{i}" for i in range(1, 7)}
    assert [h["level"] for h in collection["hierarchy"]][:4] == ["city", "district", "street", "community"]
    again = client.post("/api/units/import", json=collection)  # the ancestors outside the scope: left alone
    assert again.status_code == 200 and again.json()["created"] == 0 and again.json()["skipped"] == [
        "440400", "440402", "440402004"]

    sign_in(client, "wzadmin")
    taken = client.post("/api/units/import", json=collection)
    assert taken.status_code == 422 and "outside your scope" in taken.text
    renamed = copy.deepcopy(collection)
    renamed["hierarchy"][2]["name"] = "改名街道"
    sign_in(client, "fsadmin")
    assert client.post("/api/units/import", json=renamed).status_code == 422
    assert get_unit(store, "440402004").name == "前山街道"
