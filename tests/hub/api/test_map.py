"""The control-room map API: grids with their open-case load, pins, terminals with tails, people - and only
inside the signed-in operator's community."""
from __future__ import annotations

from .dashboard_fixtures import FUSHI, OTHER_GRID, dashboard, open_cases, report_positions, sign_in  # noqa: F401

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
