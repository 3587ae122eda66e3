"""The map's report density layer (GET /api/map/density) on SQLite and PostgreSQL: case positions counted per
cell on a fixed lattice, the period in local days, the operator's scope, and bad input refused."""
from __future__ import annotations

import math

from hub.cases.density import METRES_PER_DEGREE, bin_positions
from tests.hub.cases.test_kpi_trend import client, history  # noqa: F401 - fixtures
from tests.hub.cases.test_kpis import COMM_A, COMM_B

SPAN = {"from": "2024-05-27", "to": "2024-06-09"}


def test_cells_are_square_on_the_ground_and_fixed():
    grid = bin_positions([(22.2501, 113.52), (22.2502, 113.5201), (22.26, 113.52)], 150)
    assert grid.total == 3 and grid.cells[0][2] == 2  # densest first
    assert math.isclose(grid.lat_step * METRES_PER_DEGREE, 150)
    assert math.isclose(grid.lon_step * METRES_PER_DEGREE * math.cos(math.radians(22)), 150)
    south, west, _ = grid.cells[0]
    assert south <= 22.2501 < south + grid.lat_step and west <= 113.52 < west + grid.lon_step
    again = bin_positions([(22.2501, 113.52)], 150)  # the lattice does not move with the data
    assert again.cells[0][:2] == grid.cells[0][:2]
    assert bin_positions([], 150).cells == []


def test_api_counts_reports_per_cell_in_scope(client, store, sign_in):
    body = client.get("/api/map/density", params=SPAN).json()
    # nine cases reported in the span (the week's six, E, the two month-edge ones) at seven places ~220 m apart:
    # the month-edge cases stand where E and A stood (a new History starts its positions over)
    assert body["total"] == 9 and body["max"] == 2 and len(body["cells"]) == 7
    first = body["cells"][0]
    assert set(first) == {"south", "west", "north", "east", "n"}  # positions only
    assert 0.0013 < first["north"] - first["south"] < 0.0014  # 150 m
    coarse = client.get("/api/map/density", params=SPAN | {"cell_m": 1000}).json()
    assert coarse["total"] == 9 and coarse["max"] > 2 and len(coarse["cells"]) < 7
    trend = client.get("/api/kpis/trend", params=SPAN | {"bucket": "day"}).json()
    assert sum(p["reported"] for p in trend["points"]) == body["total"]  # the same cases as the KPIs' 上报数
    june_first = client.get("/api/map/density", params={"from": "2024-06-01", "to": "2024-06-01"}).json()
    assert june_first["total"] == 1  # 00:30 Beijing on 1 June; the 23:30 case of 31 May is the day before

    sign_in(client, store, role="dispatcher", scope=COMM_A)
    mine = client.get("/api/map/density", params=SPAN).json()
    assert mine["unit"] == COMM_A and mine["total"] == 7  # community B's D and F are not drawn
    assert client.get("/api/map/density", params=SPAN | {"unit": COMM_B}).status_code == 404
    assert client.get("/api/map/density", params={"from": "2024-06-09", "to": "2024-06-01"}).status_code == 422
    assert client.get("/api/map/density", params={"from": "2023-01-01", "to": "2024-06-01"}).status_code == 422
    assert client.get("/api/map/density", params=SPAN | {"cell_m": 5}).status_code == 422
    assert client.get("/api/map/density", params={"from": "9999-12-31", "to": "9999-12-31"}).status_code == 422
