"""A patrol end to end over a real broker with the hub running: the tablet's context (as ``gridline terminal run``
builds it) walks, the volunteer asks to end and confirms, and the patrol's summary - a PatrolLog record - is
stored once at the hub, receipted back to the tablet, and listed by ``GET /api/patrols`` for the grid's operator
(and not for another grid's)."""
from __future__ import annotations

import httpx

from hub import sample
from hub.org.geojson_io import load_community
from terminal.app.config import parse_config
from terminal.app.context import TerminalContext
from terminal.link import Backoff

from .conftest import wait_until

FAST = Backoff(minimum=0.1, maximum=0.5)


def test_a_confirmed_patrol_end_reaches_the_hub_and_its_patrol_list(hub, tmp_path, sign_in):
    load_community(hub.store, sample.load_raw())
    grid = next(g for g in sample.grids() if g.code.endswith("001"))
    lon, lat = grid.centre()
    config = parse_config({
        "device_id": "tablet-fs-01", "broker": hub.broker_url, "data_dir": str(tmp_path / "tablet-fs-01"),
        "patrol_interval_s": 0.2, "grid": {"code": grid.code, "bbox": list(grid.bbox()),
                                           "outline": [list(p) for p in grid.ring]},
        "position": {"kind": "simulated", "waypoints": [[lat - 0.002, lon], [lat + 0.002, lon]], "speed_mps": 10}})
    with TerminalContext(config, "tablet", backoff=FAST) as tablet:
        assert tablet.device.wait_connected(10)
        patrol = tablet.patrol
        patrol.start()
        wait_until(lambda: (patrol.poll(), len(patrol.session.fixes) >= 10)[1], 20, 0.25, message="ten places")
        patrol.ask_stop()
        assert patrol.running  # asking is not ending
        summary = patrol.stop()
        wait_until(lambda: tablet.device.status().pending == 0, 20, message="every record receipted")
        assert patrol.view().summary.endswith("。社区已收到")  # the tablet says so once the hub's receipt came
    [row] = hub.store.list_records(kind="patrol")[0]
    assert row.device_id == "tablet-fs-01" and row.payload_dict()["fixes"] == summary.fixes_accepted
    with httpx.Client(base_url=hub.base_url) as client:
        sign_in(client, hub.store, role="viewer", scope=grid.code)
        [listed] = client.get("/api/patrols").json()["items"]
        assert listed["id"] == row.id and listed["volunteer_id"] == "p-patrol-01" and listed["unit_code"] == grid.code
        assert listed["distance_m"] == round(summary.distance_m, 1) > 15
        sign_in(client, hub.store, role="viewer", scope="440402004005002")  # the next grid: not theirs
        assert client.get("/api/patrols").json()["items"] == []
